-- drop_sheet_batch: the scratch table of a batch of sheets, once appended to raw_<source>.
drop table if exists temp._sheet_batch;
