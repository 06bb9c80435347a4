-- township_review_list: the 镇级复核清单 — every disputed case: a village answered 不属实 or 已处理
-- on a finding whose registry evidence outranks a village (an exact-ID death from 公安 or 火化, a
-- death from two sources, an exact-ID duplicate benefit).  The township decides each one with a
-- reason, the evidence and the officer (`dibao decide`); until then it stays on the office's lists.
-- One row per case, with the village's answer and remark beside the registry evidence.
-- Inputs: cases, exceptions, decisions, rule_catalogue.  Parameters: $month.
with finding as (
    select * from exceptions where month <= $month
    qualify row_number() over (partition by case_id order by month desc) = 1
),
village_answer as (
    select case_id, arg_max(result, decided_at) as result, arg_max(remark, decided_at) as remark,
           arg_max(decided_by, decided_at) as village, arg_max(month, decided_at) as answered_month,
           max(decided_at) as answered_at
    from decisions where coalesce(origin, 'village') = 'village'
    group by case_id
)
select f.township, f.village, c.case_id, f.household_id, f.name, f.id_number, f.id_number_raw,
       r.name_zh as rule_name, f.matched_source, f.death_date, f.months_overpaid, f.amount_overpaid, f.detail,
       a.result as village_result, a.remark as village_remark, a.answered_month, a.answered_at
from cases c
join finding f using (case_id)
join rule_catalogue r on r.code = c.rule
left join village_answer a using (case_id)
where c.status = 'disputed'
order by f.township, f.village, f.household_id, c.case_id;
