-- open_conflict: the month and kind (case | ledger) of a case's or 台账 entry's unsettled conflict;
-- month is NULL when there is none.  Inputs: decision_conflicts.  Parameters: $case_id.
select max(month) as month, any_value(subject_kind) as subject_kind
from decision_conflicts where case_id = $case_id and settled_at is null;
