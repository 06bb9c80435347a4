-- latest_run: the run_id of the month's latest completed run in a county's warehouse.
-- Inputs: runs.  Parameters: $month.
select run_id from runs where month = $month order by finished_at desc limit 1
