-- raw_table: an empty raw_<source> table: one text column per mapped field, then the
-- lineage columns.  Temporary: the input rows go from their files to norm_<kind> and the
-- stg_* tables in the run's one connection (warehouse.run_connection) without being
-- written into the warehouse (DuckDB spills them, encrypted, under memory_limit).
-- Filled in by flows/sources/ingest.py: {raw}, {columns}.
create or replace temp table {raw} ({columns}, _row bigint, _file varchar, _sheet varchar, _id_number_is_number boolean);
