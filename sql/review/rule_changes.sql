-- rule_changes: one row per rule for $month — findings this month and last reconciled
-- month, new / still open / resolved (from v_month_changes), and how many are cases the
-- village dismissed as 不属实.
-- Read-only; used by flows/review.py and the review notebook.
with changes as (
    select rule,
           cast(sum(new_cases) as bigint) as new,
           cast(sum(still_open) as bigint) as still_open,
           cast(sum(resolved) as bigint) as resolved
    from v_month_changes where month = $month group by rule
),
dismissed as (
    select e.rule, count(*) as dismissed
    from exceptions e join cases c using (case_id)
    where e.month = $month and c.status = 'false_positive'
    group by e.rule
)
select rule, new + still_open as this_month, still_open + resolved as last_month,
       new, still_open, resolved, coalesce(d.dismissed, 0) as dismissed
from changes left join dismissed d using (rule)
