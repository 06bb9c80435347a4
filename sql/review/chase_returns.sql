-- chase_returns: which villages returned $month's sheets — one row per village with findings
-- this month: findings sent, answered (a 核实结果 on $month's sheet), remark only (待补核实结果),
-- still unanswered, and whether any returned file came back at all.
-- Read-only; used by flows/review.py (chase-up section of the review notebook).
-- Inputs: exceptions, cases, decisions, case_remarks.  Parameters: $month.
with sent as (
    select e.township, e.village, e.case_id
    from exceptions e
    join cases c using (case_id)
    where e.month = $month and c.status <> 'false_positive'
),
answered as (
    select distinct case_id from decisions where month = $month and source_file is not null
),
remarked as (
    select distinct case_id from case_remarks where month = $month
),
files as (
    select case_id, source_file from decisions where month = $month and source_file is not null
    union
    select case_id, source_file from case_remarks where month = $month and source_file is not null
)
select s.township, s.village,
       count(*) as findings,
       count(a.case_id) as answered,
       count(*) filter (where a.case_id is null and r.case_id is not null) as remarks_only,
       count(*) filter (where a.case_id is null and r.case_id is null) as unanswered,
       count(f.source_file) > 0 as returned
from sent s
left join answered a using (case_id)
left join remarked r using (case_id)
left join (select case_id, any_value(source_file) as source_file from files group by case_id) f using (case_id)
group by s.township, s.village
order by returned, unanswered desc, s.township, s.village
