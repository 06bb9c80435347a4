-- row_count: the rows of one table (raw_<source> before and after a file; a source's stage).
-- Filled in by flows/sources/ingest.py and flows/normalize/staging.py: {table}.
select count(*) from {table};
