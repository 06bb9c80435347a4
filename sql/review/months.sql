-- months: every month that has a completed run, oldest first.
-- Read-only; used by flows/review.py and the review notebook.
select distinct month from runs order by month
