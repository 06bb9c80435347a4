-- insert_frame: append a registered DataFrame's rows (_frame) to a table, columns matched by name.
-- Filled in by flows/warehouse.insert_frame: {table}.
insert into {table} by name select * from _frame;
