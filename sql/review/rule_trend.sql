-- rule_trend: findings per rule per month, for the trend chart.
-- Read-only; used by flows/review.py and the review notebook.
select month, rule, count(*) as findings from exceptions group by month, rule
