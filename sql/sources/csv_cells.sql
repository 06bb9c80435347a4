-- csv_cells: the data rows of one CSV file as stripped text cells, one column per mapped
-- field, in file order (the table's rowid is the data row's position after the header).
-- A temporary table (spilled encrypted under memory_limit): only raw_<source> is written to
-- the warehouse.
-- Filled in by flows/sources/ingest.py: {table} the scratch table, {cells} the field
-- columns (cell_text(cN) or NULL), {csv_options} the read_csv arguments (path, skip,
-- delimiter, quote, column count) found from the file's first lines.
-- Ragged rows: short ones are padded with NULL, cells past the last mapped column ignored.
create or replace temp table {table} as
select {cells}
from read_csv({csv_options}, auto_detect = false, header = false, all_varchar = true,
              null_padding = true, strict_mode = false);
