-- csv_cells: the data rows of one CSV file as stripped text cells, one column per mapped
-- field, in file order (the table's rowid is the data row's position after the header).
-- A temporary table (spilled encrypted under memory_limit), like raw_<source>.
-- Filled in by flows/sources/ingest.py: {cells} the field columns (cell_text(columnNN) or NULL).
-- Parameters, found from the file's first lines (flows/sources/readers.csv_layout): $path (a
-- UTF-8 file), $skip (lines up to the header), $delim, $quote, $escape, $columns (column
-- names -> VARCHAR, as many as the last mapped column needs), $parallel.
-- Ragged rows: short ones are padded with NULL, cells past the last mapped column ignored.
create or replace temp table _csv_cells as
select {cells}
from read_csv($path, skip = $skip, delim = $delim, quote = $quote, escape = $escape, columns = $columns,
              parallel = $parallel, auto_detect = false, header = false, all_varchar = true,
              null_padding = true, strict_mode = false);
