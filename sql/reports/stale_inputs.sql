-- stale_inputs: input files byte-identical to a file an earlier month's run read — a month
-- run on last month's exports (the clerk forgot to copy the new ones).
-- One row per (this delivery's sha256, earlier month, file name then): the latest earlier
-- months first.  Inputs: run_inputs (lineage of completed runs).
-- Parameters: $month (the run month), $sha256s (list of this delivery's file checksums).
select distinct sha256, month, file
from run_inputs
where month < $month
  and list_contains($sha256s, sha256)
order by month desc, file
