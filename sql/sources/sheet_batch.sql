-- sheet_batch: the cells of one or more xlsx sheets (_sheet_cells, registered from
-- python-calamine's values, several workbooks in file order: flows/sources/ingest.py
-- _SheetBatch) stripped, with their lineage: _row the 1-based row number in the sheet,
-- _file, _sheet, whether the ID cell held a number (an ID Excel stored as a number has lost
-- its last digits), and _k, which of the batch's files the row is from.  Rows with no
-- mapped cell filled are blank rows: skipped.  Each cell is stripped once; the blank-row
-- test reads the stripped cells.  A temporary table: appended to raw_<source> (sheet_rows),
-- counted per file (sheet_batch_counts), dropped.
-- Filled in by flows/sources/ingest.py: {cells} (cell_text(c.fN) as fN, one per mapped
-- field), {names} (f0, f1, …).
create or replace temp table _sheet_batch as
select * from (
    select {cells}, c._row as _row, c._file as _file, c._sheet as _sheet,
           c._is_number as _id_number_is_number, c._k as _k
    from _sheet_cells c
)
where coalesce({names}) is not null;
