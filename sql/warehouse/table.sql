-- table: a registered DataFrame (_frame) as a warehouse table, replacing it (tables rebuilt
-- each run: the rule catalogue, the suspect summary).
-- Filled in by flows/warehouse.register_table: {table}.
create or replace table {table} as select * from _frame;
