-- suspect_answers(as_of): every DECEASED_SUSPECT case found in a month up to as_of ('YYYY-MM'),
-- with the evidence of its latest finding (evidence_pattern, match_levels) and the answer in
-- force on it, counting only decisions on sheets of months up to as_of:
--   answer    confirmed (属实) | denied (不属实) | handled (已处理) | awaiting_township (a village's
--             不属实/已处理 on registry-certain evidence: the case is `disputed` until the township
--             decides, so the village's word is not counted as a denial) | NULL (no answer in force)
--   origin    village | township: who gave the answer in force
--   village_result, township_result: the latest answer of each, for the 复核 of issue 24.
-- A case with an unsettled conflict has no answer in force (as in v_effective_decisions).
-- Read by sql/reports/pattern_answers.sql and sql/matching/answered_levels.sql.
create or replace macro suspect_answers(as_of) as table
with findings as (
    select case_id,
           arg_max(evidence_pattern, month) as evidence_pattern,
           arg_max(match_levels, month) as match_levels,
           coalesce(arg_max(registry_certain, month), false) as registry_certain
    from exceptions
    where rule = 'DECEASED_SUSPECT' and evidence_pattern is not null and month <= as_of
    group by case_id
),
decided as (
    select case_id,
           arg_max(result, decided_at) as result,
           arg_max(coalesce(origin, 'village'), decided_at) as origin,
           arg_max(result, decided_at) filter (where coalesce(origin, 'village') = 'village') as village_result,
           arg_max(result, decided_at) filter (where origin = 'township') as township_result
    from decisions
    where month <= as_of
      and case_id not in (select case_id from decision_conflicts where settled_at is null)
    group by case_id
)
select f.case_id, f.evidence_pattern, f.match_levels, f.registry_certain,
       case when d.result is null then null
            when d.result = '属实' then 'confirmed'
            when d.origin = 'village' and f.registry_certain then 'awaiting_township'
            when d.result = '不属实' then 'denied'
            else 'handled' end as answer,
       d.origin, d.village_result, d.township_result
from findings f
left join decided d using (case_id);
