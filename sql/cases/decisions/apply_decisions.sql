-- apply_decisions: move each decided case to the status its 核实结果 means:
-- 属实 (停发此处, 保留此处) → confirmed, 不属实 → false_positive, 已处理 → resolved —
-- except that a village's 不属实/已处理 on a finding whose registry evidence outranks a village
-- (exceptions.registry_certain, in the case's latest month) makes it `disputed`: it stays on the
-- office's lists until a township decision (origin = township) with a reason closes it.
-- Inputs: _decisions, cases, exceptions.
update cases
set status = case
        when d.result = '属实' then 'confirmed'
        when d.origin = 'village' and coalesce(x.registry_certain, false) then 'disputed'
        when d.result = '不属实' then 'false_positive'
        else 'resolved' end
from (
    select case_id, arg_max(result, decided_at) as result, arg_max(coalesce(origin, 'village'), decided_at) as origin
    from _decisions group by case_id
) d
left join (
    select case_id, arg_max(registry_certain, month) as registry_certain from exceptions group by case_id
) x using (case_id)
where cases.case_id = d.case_id
