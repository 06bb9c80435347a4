-- latest_run: the latest completed run of $month (a run is recorded only when it completes).
-- Read-only; used by the review notebook (flows/review.py) and by a county's cross-county
-- apply step, which must apply to the run that exported its keys (flows/counties/county.py).
-- Inputs: runs.  Parameters: $month.
select run_id, month, started_at, finished_at, rows_rejected, counts_json
from runs where month = $month order by finished_at desc, started_at desc limit 1
