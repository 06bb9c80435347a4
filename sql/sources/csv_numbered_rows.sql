-- csv_numbered_rows: as csv_rows, for a file with empty lines between its records: DuckDB
-- skips them, the csv module (and so the row numbers people were told) counts them, so
-- each row's record number comes from _csv_rows(seq, record), listed in Python.
-- Filled in by flows/sources/ingest.py: {raw}, {cells} (c.fN, one per mapped field).
-- Parameters: $file.
insert into {raw}
select {cells}, n.record as _row, $file as _file, '' as _sheet, false as _id_number_is_number
from _csv_cells c
join _csv_rows n on n.seq = c.rowid
where coalesce({cells}) is not null;
