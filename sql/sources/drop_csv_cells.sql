-- drop_csv_cells: the scratch table of one CSV file's cells, once appended to raw_<source>.
drop table if exists temp._csv_cells;
