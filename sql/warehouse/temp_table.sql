-- temp_table: a registered Arrow table or DataFrame (_frame) as a temporary table of this
-- connection (a distinct-value map, a sheet's cells): nothing is stored in the warehouse.
-- Filled in by flows/warehouse.register_table: {table}.
create or replace temp table {table} as select * from _frame;
