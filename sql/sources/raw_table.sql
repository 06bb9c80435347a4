-- raw_table: an empty raw_<source> table: one text column per mapped field, then the
-- lineage columns.  Filled in by flows/sources/ingest.py: {raw}, {columns}.
create or replace table {raw} ({columns}, _row bigint, _file varchar, _sheet varchar, _id_number_is_number boolean);
