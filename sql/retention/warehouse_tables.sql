-- warehouse_tables: the name of every table stored in the warehouse (not views, not temporary).
-- Used to verify a migrated warehouse (rows and checksums per table) and to drop a run's
-- intermediate copies of input rows.
-- Inputs: duckdb_tables().  Parameters: $catalog (the attached warehouse's name).
select table_name
from duckdb_tables()
where database_name = $catalog and not temporary
order by table_name;
