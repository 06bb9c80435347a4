-- sheet_rows: append one xlsx sheet's cells (_sheet_cells, registered from python-calamine's
-- values) to raw_<source> with their lineage: _row the 1-based row number in the sheet,
-- _file, _sheet, and whether the ID cell held a number (an ID Excel stored as a number has
-- lost its last digits).  Rows with no mapped cell filled are blank rows: skipped.
-- Filled in by flows/sources/ingest.py: {raw}, {cells} (cell_text(c.fN), one per mapped field).
-- Parameters: $file, $sheet.
insert into {raw}
select {cells}, c._row as _row, $file as _file, $sheet as _sheet, c._is_number as _id_number_is_number
from _sheet_cells c
where coalesce({cells}) is not null;
