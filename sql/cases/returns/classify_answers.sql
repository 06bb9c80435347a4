-- classify_answers: what to do with each 核实结果 of a returned file (registered as _incoming).
-- repeat:   this file's answer on this case was imported before (a file imported twice), or the
--           same answer (result and listing choice) is already recorded from another copy — one
--           answer is one decision; the copy is kept in decision_sources only;
-- township: the office has decided the case (`dibao decide` / `dibao settle`): a village copy does
--           not overturn it; kept in decision_sources;
-- conflict: the case already has another answer on this month's sheets from another file, or an
--           unsettled conflict — record neither until the office settles it;
-- new:      record it.
-- Inputs: _incoming, decisions, decision_conflicts.  Parameters: $month.
with latest as (
    select case_id, arg_max(result, decided_at) as result, arg_max(choice, decided_at) as choice,
           arg_max(origin, decided_at) as origin,
           arg_max(source_file, decided_at) as source_file, arg_max(file_sha256, decided_at) as file_sha256
    from decisions where month = $month group by case_id
),
seen as (
    select case_id, file_sha256 from decisions where file_sha256 is not null
    union
    select case_id, sha_b from decision_conflicts where sha_b is not null
),
unsettled as (
    select distinct case_id from decision_conflicts where settled_at is null
)
select
    i.case_id, i.result,
    case when exists (select 1 from seen s where s.case_id = i.case_id and s.file_sha256 = i.file_sha256)
             then 'repeat'
         when l.origin = 'township' then 'township'
         when i.case_id in (select case_id from unsettled) then 'conflict'
         when l.result is not null and (l.result <> i.result or l.choice is distinct from i.choice)
             then 'conflict'
         when l.result is not null then 'repeat'
         else 'new' end as outcome,
    coalesce(l.choice, l.result) as prior_result, l.source_file as prior_file, l.file_sha256 as prior_sha
from _incoming i
left join latest l using (case_id);
