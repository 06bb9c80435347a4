-- chase_disputed: 复核 — cases a village answered 不属实/已处理 although the registry evidence
-- outranks a village's word (status disputed); each awaits the township's decision.
-- One row per case with its latest finding and the village's answer.
-- Read-only; used by flows/review.py.  Inputs: cases, exceptions, decisions.  Parameters: none.
with latest as (
    select case_id, arg_max(result, decided_at) as village_result, arg_max(remark, decided_at) as village_remark,
           arg_max(month, decided_at) as answered_month
    from decisions group by case_id
)
select e.township, e.village, c.case_id, c.rule, e.household_id, e.name, e.id_number, e.id_number_raw,
       l.village_result, l.village_remark, l.answered_month, e.months_overpaid, e.amount_overpaid
from cases c
join (select * from exceptions qualify row_number() over (partition by case_id order by month desc) = 1) e
  using (case_id)
left join latest l using (case_id)
where c.status = 'disputed'
order by e.township, e.village, c.case_id
