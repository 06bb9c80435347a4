-- raw_rows: append one file's (or sheet's) cells to raw_<source> with their lineage:
-- _row is the 1-based row number in the file (rowid + the first data row, or the record
-- number from a joined list when the file has empty lines that DuckDB skips), _file,
-- _sheet, and whether the ID cell held a number.  Rows with no mapped cell filled are
-- blank rows: skipped, as the Python reader does.
-- Filled in by flows/sources/ingest.py: {raw}, {cells_table}, {fields}, {row_expr},
-- {row_join}, {is_number}, {filled}.
insert into {raw}
select {fields}, {row_expr} as _row, $file as _file, $sheet as _sheet, {is_number} as _id_number_is_number
from {cells_table} c {row_join}
where {filled};
