-- apply_decisions: move each decided case to the status its 核实结果 means:
-- 属实 → confirmed, 不属实 → false_positive, 已处理 → resolved.
-- Inputs: _decisions, cases.
update cases
set status = case d.result when '属实' then 'confirmed' when '不属实' then 'false_positive' else 'resolved' end
from (select case_id, arg_max(result, decided_at) as result from _decisions group by case_id) d
where cases.case_id = d.case_id
