-- month_rejects: rejects.csv, the values and rows of month $month that could not be read.
-- Inputs: rejects.  Parameters: $month.
select file, sheet, "row", "column", value, reason from rejects where month = $month order by file, sheet, "row"
