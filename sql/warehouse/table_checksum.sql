-- table_checksum: a table's rows and a hash over all of them, to check a copy of the warehouse
-- holds exactly what the original held (flows/migrate.py).  {table} quoted by warehouse.ident.
select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {table} as t
