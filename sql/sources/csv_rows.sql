-- csv_rows: append one CSV file's cells (_csv_cells) to raw_<source> with their lineage:
-- _row the 1-based record number in the file (rowid + the first data row: the file has no
-- empty lines, which DuckDB would skip), _file, an empty _sheet; a CSV cell is text, never
-- a number.  Rows with no mapped cell filled are blank rows: skipped.
-- Filled in by flows/sources/ingest.py: {raw}, {cells} (c.fN, one per mapped field).
-- Parameters: $file, $first_row (the record number of the first data row).
insert into {raw}
select {cells}, c.rowid + $first_row as _row, $file as _file, '' as _sheet, false as _id_number_is_number
from _csv_cells c
where coalesce({cells}) is not null;
