-- record_run: one completed run in runs (written last, by the report step, so a run that
-- failed earlier leaves no record).  Parameters: every column of runs.
insert into runs (run_id, month, started_at, finished_at, status, package_version, config_sha256,
                  rows_rejected, counts_json)
values ($run_id, $month, $started_at, $finished_at, 'success', $package_version, $config_sha256,
        $rows_rejected, $counts_json)
