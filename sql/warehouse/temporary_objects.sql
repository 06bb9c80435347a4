-- temporary_objects: the temporary tables and views of this connection (a run's raw_*, norm_*,
-- stg_population and fuzzy matching's working tables), views first: they read the tables.
-- Inputs: duckdb_views(), duckdb_tables().
select 'view' as kind, view_name as name from duckdb_views() where temporary and not internal
union all
select 'table', table_name from duckdb_tables() where temporary
order by kind desc, name;
