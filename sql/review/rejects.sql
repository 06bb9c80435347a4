-- rejects: $month's unreadable values, counted by file, column and reason.
-- Read-only; used by flows/review.py and the review notebook.
select source, file, "column", reason, count(*) as "values"
from rejects where month = $month
group by source, file, "column", reason
order by "values" desc, source, file, "column"
