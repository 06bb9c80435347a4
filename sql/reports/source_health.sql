-- source_health: one row per source with what it covers this month and against the last
-- delivery: latest date reported, rows, townships now and in the previous month's run,
-- and (for the population) the share of valid roster IDs it contains.
-- Inputs: norm_deaths, norm_population, stg_roster, source_deliveries.  Parameters: $month.
with latest as (
    select source, max(coalesce(death_date, deregistration_date, cremation_date)) as latest_date, count(*) as rows
    from norm_deaths group by source
    union all
    select source, max(change_date), count(*) from norm_population group by source
    union all
    select source, null, count(*) from norm_roster group by source
),
previous_month as (
    select max(month) as month from source_deliveries where month < $month
),
townships as (
    select source, township,
           sum("rows") filter (where d.month = $month) as rows_now,
           sum("rows") filter (where d.month = (select month from previous_month)) as rows_before
    from source_deliveries d
    where d.month = $month or d.month = (select month from previous_month)
    group by source, township
),
coverage as (
    select count(*) filter (where id_number in (select id_number from norm_population)) / nullif(count(*), 0) as share
    from stg_roster where id_number is not null
)
select
    l.source, l.latest_date, l.rows,
    (select month from previous_month) as previous_month,
    list(t.township order by t.township) filter (where coalesce(t.rows_before, 0) > 0 and coalesce(t.rows_now, 0) = 0) as townships_missing,
    list(t.township order by t.township) filter (where t.rows_before >= 20 and t.rows_now < t.rows_before * 0.5) as townships_halved,
    (select share from coverage) as roster_in_population
from latest l
left join townships t using (source)
group by l.source, l.latest_date, l.rows
order by l.source
