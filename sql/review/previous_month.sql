-- previous_month: the last reconciled month before $month (NULL if none).
-- Read-only; used by flows/review.py and the review notebook.
select max(month) as month from runs where month < $month
