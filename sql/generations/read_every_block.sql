-- read_every_block: every column of a table hashed, so every block in use is read and a
-- truncated file is found (flows/generations.py, thorough).  {table} is quoted by warehouse.ident.
select count(*), sum(hash(columns(*))) from {table}
