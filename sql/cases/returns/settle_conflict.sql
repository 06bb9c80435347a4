-- settle_conflict: the office's answer closes every unsettled conflict of a case.
-- Inputs: decision_conflicts.  Parameters: $case_id, $result, $settled_by.
update decision_conflicts
set settled_at = now(), settled_result = $result, settled_by = $settled_by
where case_id = $case_id and settled_at is null;
