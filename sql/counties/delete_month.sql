-- delete_month: the city warehouse's rows of one month in one of its key or finding tables,
-- cleared before the month's exchange files are loaded again (flows/counties/central_check.py).
-- {table} is quoted by warehouse.ident.  Parameters: $month.
delete from {table} where month = $month
