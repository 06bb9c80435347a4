-- v_effective_decisions: the decision that counts for each case — its latest, unless the case
-- has an unsettled conflict (then none counts).  One row per case.  A settlement is recorded as
-- a decision, so it is the latest once the conflict is settled.
create or replace view v_effective_decisions as
select case_id,
       arg_max(result, decided_at) as result,
       arg_max(choice, decided_at) as choice,           -- 停发此处 | 保留此处 on a duplicate listing
       arg_max(month, decided_at) as decided_month,
       arg_max(decided_by, decided_at) as decided_by,
       max(decided_at) as decided_at,
       arg_max(source_file, decided_at) as source_file
from decisions
where case_id not in (select case_id from decision_conflicts where settled_at is null)
group by case_id;
