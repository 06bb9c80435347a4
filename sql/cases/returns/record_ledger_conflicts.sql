-- record_ledger_conflicts: keep both answers of each conflicting 附件1-3 entry (registered as
-- _conflicts, ledger_id as case_id); while unsettled neither counts (latest_ledger_answer) until
-- the office settles it with `dibao settle`.
-- Inputs: _conflicts.  Parameters: none.
insert into decision_conflicts (case_id, month, result_a, file_a, sha_a, result_b, file_b, sha_b, found_at, subject_kind)
select case_id, month, prior_result, prior_file, prior_sha, result, source_file, file_sha256, found_at, 'ledger'
from _conflicts;
