-- decisions: every decision on one case, oldest first.
-- Read-only; used by flows/review.py and the review notebook.
select case_id, month, result, remark, decided_by, decided_at, source_file
from decisions where case_id = $case_id order by decided_at
