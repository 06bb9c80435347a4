-- warehouse_views: the name of every view stored in the warehouse (not DuckDB's own).
-- stg_population, stored by earlier versions, is dropped before the run (flows/retention.py).
-- Inputs: duckdb_views().  Parameters: $catalog (the attached warehouse's name).
select view_name
from duckdb_views()
where database_name = $catalog and not internal and not temporary
order by view_name;
