-- tables: the base tables of a warehouse file, so that reading each one's row count
-- touches its blocks and a truncated or damaged file is found before it is used.
-- Read-only; used by flows/generations.py.
select table_name from duckdb_tables() where database_name = current_database() order by table_name
