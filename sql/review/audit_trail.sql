-- audit_trail: the audit trail, newest first, optionally for one month.
-- Read-only; used by flows/review.py (review.audit_trail) and the review notebook.
-- Parameters: $month (NULL for every month).
select recorded_at, event, os_user, month, run_id, file, path, sha256, outcome
from audit_trail
where $month is null or month = $month
order by recorded_at desc, event, file
