-- balances: every recovery entry as of a month — overpaid up to confirmation, paid after it
-- (months on the roster after the confirmed sheet's month, up to $month), recovered, written
-- off, and the outstanding balance.  One row per entry.
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
           coalesce(sum(amount) filter (where kind = '核销'), 0) as written_off,
           string_agg(concat(kind, cast(amount as varchar), '元',
                             coalesce('（' || strftime(event_date, '%Y-%m-%d') || '）', ''),
                             coalesce('：' || reason, '')), '；' order by recorded_at) as history
    from recovery_events group by case_id
),
final as (
    select e.*, a.months_after, a.months_after * coalesce(e.monthly_amount, 0) as amount_after,
           coalesce(v.recovered, 0) as recovered, coalesce(v.written_off, 0) as written_off,
           e.amount_before + a.months_after * coalesce(e.monthly_amount, 0)
               - coalesce(v.recovered, 0) - coalesce(v.written_off, 0) as balance,
           v.history
    from recovery_entries e join after a using (case_id) left join events v using (case_id)
)
select * from final order by township, village, household_id, case_id;
