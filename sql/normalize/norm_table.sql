-- norm_table: an empty norm_<kind> table with the typed columns of flows/sources/kinds.staged_columns.
-- Temporary, like raw_<source>: the stg_* tables are what the rules read.
-- Filled in by flows/normalize/staging.py: {table}, {columns}.
create or replace temp table {table} ({columns});
