-- forget_run_inputs: a run's input lineage, recorded again by the county's apply step with the
-- counts after the cross-county findings (flows/counties/county.py).  Parameters: $run_id.
delete from run_inputs where run_id = $run_id
