-- latest_run: the latest completed run of $month.
-- Read-only; used by flows/review.py and the review notebook.
select run_id, month, started_at, finished_at, rows_rejected, counts_json
from runs where month = $month order by started_at desc limit 1
