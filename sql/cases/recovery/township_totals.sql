-- township_totals: recovery (追缴) totals per township as of a month, for 附件4's 备注 and the
-- review notebook.  One row per township with recovery entries.
-- Inputs: recovery_entries, roster_months, recovery_events.  Parameters: $month.
with after as (
    select e.case_id, count(r.month) as months_after
    from recovery_entries e
    left join roster_months r on r.person_key = e.person_key
                             and r.month > e.confirmed_month and r.month <= $month
    group by e.case_id
),
events as (
    select case_id,
           coalesce(sum(amount) filter (where kind = '追回'), 0) as recovered,
           coalesce(sum(amount) filter (where kind = '核销'), 0) as written_off
    from recovery_events group by case_id
)
select e.township,
       count(*) as entries,
       sum(e.amount_before) as amount_before,
       sum(a.months_after * coalesce(e.monthly_amount, 0)) as amount_after,
       sum(coalesce(v.recovered, 0)) as recovered,
       sum(coalesce(v.written_off, 0)) as written_off,
       sum(e.amount_before + a.months_after * coalesce(e.monthly_amount, 0)
           - coalesce(v.recovered, 0) - coalesce(v.written_off, 0)) as balance
from recovery_entries e join after a using (case_id) left join events v using (case_id)
group by e.township
order by e.township;
