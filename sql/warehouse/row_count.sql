-- row_count: how many rows a table holds (warehouse.row_count; {table} quoted by warehouse.ident).
select count(*) from {table}
