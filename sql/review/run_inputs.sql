-- run_inputs: the files a run read, with lineage.
-- Read-only; used by flows/review.py and the review notebook.
select source, kind, file, sheets, rows_read, rows_rejected, encoding, sha256
from run_inputs where run_id = $run_id order by source, file
