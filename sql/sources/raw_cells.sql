-- raw_cells: raw_<source> as it was read, one text column per mapped field and the row's
-- lineage, in file order (the county generator picks people from a roster this way).
-- Filled in by flows/generate/counties.py: {raw}.
select * from {raw} order by rowid;
