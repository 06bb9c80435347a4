-- village_changes: one row per village of $month's roster (or with findings): roster
-- members, findings, new / still open / resolved (from v_month_changes), overpaid amounts.
-- Read-only; used by flows/review.py and the review notebook.
with changes as (
    select township, village,
           cast(sum(new_cases + still_open) as bigint) as findings,
           cast(sum(new_cases) as bigint) as new,
           cast(sum(still_open) as bigint) as still_open,
           cast(sum(resolved) as bigint) as resolved
    from v_month_changes where month = $month group by township, village
),
money as (
    select township, village,
           coalesce(sum(amount_overpaid) filter (where rule = 'DECEASED_PAID'), 0) as amount_overpaid,
           coalesce(sum(amount_overpaid) filter (where rule = 'DECEASED_SUSPECT'), 0) as amount_suspect
    from exceptions where month = $month group by township, village
),
members as (
    select township, village, sum("rows") as members
    from source_deliveries where month = $month and village is not null
    group by township, village
)
select township, village,
       coalesce(m.members, 0) as members,
       coalesce(c.findings, 0) as findings, coalesce(c.new, 0) as new,
       coalesce(c.still_open, 0) as still_open, coalesce(c.resolved, 0) as resolved,
       coalesce(y.amount_overpaid, 0) as amount_overpaid, coalesce(y.amount_suspect, 0) as amount_suspect
from members m
full join changes c using (township, village)
left join money y using (township, village)
order by findings desc, new desc, township, village
