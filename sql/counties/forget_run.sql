-- forget_run: a run's record, recorded again by the county's apply step with the counts after
-- the cross-county findings (flows/counties/county.py).  Parameters: $run_id.
delete from runs where run_id = $run_id
