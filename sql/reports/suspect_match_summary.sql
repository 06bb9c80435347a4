-- suspect_match_summary: the threshold DECEASED_SUSPECT used and the chance suspicions expected
-- at it, one row, for run.json (written by the match step, flows/pipeline.py).
select * from suspect_match_summary
