-- v_month_changes: what changed since the previous reconciled month, per month,
-- township, village and rule: cases new this month, still open from last month, and
-- resolved (found last month, not this month).  Months are those with a run, so a
-- month without findings still shows last month's cases as resolved.
create or replace view v_month_changes as
with months as (
    select month, lag(month) over (order by month) as prev_month
    from (select distinct month from runs)
),
flags as (
    select
        m.month, e.case_id,
        arg_max(e.township, e.month) as township,
        arg_max(e.village, e.month) as village,
        any_value(e.rule) as rule,
        coalesce(bool_or(e.month = m.month), false) as in_month,
        coalesce(bool_or(e.month is not distinct from m.prev_month), false) as in_prev
    from months m
    join exceptions e on e.month = m.month or e.month = m.prev_month
    group by m.month, e.case_id
)
select
    month, township, village, rule,
    count(*) filter (where in_month and not in_prev) as new_cases,
    count(*) filter (where in_month and in_prev) as still_open,
    count(*) filter (where in_prev and not in_month) as resolved
from flags
group by month, township, village, rule
order by month, township, village, rule;
