-- sheet_values: the distinct non-empty values of one column in one sheet of raw_<source>
-- (`dibao check` shows the dates a sheet covers).
-- Filled in by flows/check.py: {raw}, {column}.  Parameters: $sheet.
select distinct {column} from {raw} where _sheet = $sheet and {column} is not null;
