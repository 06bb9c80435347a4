-- norm_table: an empty norm_<kind> table with the typed columns of flows/sources/kinds.staged_columns.
-- Filled in by flows/normalize/staging.py: {table}, {columns}.
create or replace table {table} ({columns});
