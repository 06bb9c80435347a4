-- chase_pending: 待补核实结果 — cases on $month's sheets (or earlier ones, still found in $month)
-- whose latest word from the village is a 备注 without a 核实结果.  One row per case.
-- Read-only; used by flows/review.py.  Inputs: case_remarks, decisions, exceptions.  Parameters: $month.
with remarks as (
    select r.case_id, arg_max(r.remark, r.recorded_at) as remark, arg_max(r.month, r.recorded_at) as remark_month,
           max(r.recorded_at) as recorded_at
    from case_remarks r
    where r.month <= $month
    group by r.case_id
)
select e.township, e.village, e.case_id, e.rule, e.household_id, e.name, e.id_number, e.id_number_raw,
       r.remark, r.remark_month
from remarks r
join exceptions e on e.case_id = r.case_id and e.month = $month
where not exists (select 1 from decisions d where d.case_id = r.case_id and d.decided_at > r.recorded_at)
order by e.township, e.village, e.case_id
