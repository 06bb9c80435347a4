-- record_conflicts: keep both answers of each conflicting case (registered as _conflicts) and
-- open the case again, so that neither answer counts until the conflict is settled.
-- Inputs: _conflicts.  Parameters: none.
insert into decision_conflicts (case_id, month, result_a, file_a, sha_a, result_b, file_b, sha_b, found_at)
select case_id, month, prior_result, prior_file, prior_sha, result, source_file, file_sha256, found_at
from _conflicts;
