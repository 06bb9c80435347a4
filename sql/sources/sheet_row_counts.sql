-- sheet_row_counts: the rows read from each sheet of the one file in raw_<source>
-- (`dibao check`; a CSV file is one sheet named '').
-- Filled in by flows/check.py: {raw}.
select _sheet, count(*) from {raw} group by _sheet;
