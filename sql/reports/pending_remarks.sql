-- pending_remarks: cases found this month whose latest word from the village is a 备注 without
-- a 核实结果 (待补核实结果): shown on this month's sheet and counted on the 督办清单.
-- One row per case.  Inputs: case_remarks, decisions, exceptions.  Parameters: $month.
with remarks as (
    select r.case_id, arg_max(r.remark, r.recorded_at) as remark, arg_max(r.month, r.recorded_at) as remark_month,
           arg_max(r.source_file, r.recorded_at) as source_file
    from case_remarks r
    where r.month < $month
      and not exists (select 1 from decisions d where d.case_id = r.case_id and d.decided_at > r.recorded_at)
    group by r.case_id
)
select e.township, e.village, e.case_id, e.household_id, e.name, e.id_number, e.id_number_raw,
       r.remark, r.remark_month, r.source_file
from remarks r
join exceptions e on e.case_id = r.case_id and e.month = $month
order by e.township, e.village, e.case_id;
