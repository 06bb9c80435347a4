-- warehouse_state: a warehouse's latest run and how many runs it holds, to tell whether a
-- warehouse file (live or a kept generation) is usable: its latest run must be a success
-- with a finish time.
-- Read-only; used by flows/generations.py (dibao backups, the check before a run).
select run_id, month, status, finished_at as finished, count(*) over () as runs
from runs order by started_at desc limit 1
