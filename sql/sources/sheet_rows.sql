-- sheet_rows: append a batch of xlsx rows (sheet_batch), in order, to raw_<source>.
-- Filled in by flows/sources/ingest.py: {raw}.
insert into {raw}
select * exclude (_k) from _sheet_batch order by rowid;
