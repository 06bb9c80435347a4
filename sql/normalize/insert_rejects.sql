-- insert_rejects: this run's rejects into the warehouse's rejects table, in the order they
-- were found (source, kind of reject, row).  Parameters: $run_id, $month.
insert into rejects
select $run_id, $month, source, file, sheet, "row", "column", value, reason
from _stage_rejects
order by _source_index, _order, _pos;
