-- load_keys: every completed county's exchange file of one kind (roster_keys.parquet or
-- death_keys.parquet) into the city warehouse's table for the month, in one read.
-- union_by_name: a county with no death writes a column of nulls pandas typed DOUBLE.
-- {table} is quoted by warehouse.ident.  Parameters: $files (the files), $month.
insert into {table} by name
select *, $month as month from read_parquet($files, union_by_name = true)
