-- rejects_by_file: how many values or rows of each file this run rejected (run.json's lineage).
-- Inputs: _stage_rejects.
select file, count(*) from _stage_rejects group by file
