-- sheet_batch_counts: the rows each file of the batch gave (its rows_read in the run's
-- lineage), by the file's place in the batch.
select _k, count(*) from _sheet_batch group by _k;
