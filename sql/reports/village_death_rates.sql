-- village_death_rates: for each village, this month's share of roster members with a death
-- finding (DECEASED_PAID or DECEASED_SUSPECT) beside its average share in earlier months.
-- Villages without earlier months are not listed (there is no history to compare with).
-- Inputs: source_deliveries (roster members per village), exceptions.  Parameters: $month.
with members as (
    select month, township, village, sum("rows") as members
    from source_deliveries where village is not null group by all
),
deaths as (
    select month, township, village, count(*) as deaths from exceptions
    where rule in ('DECEASED_PAID', 'DECEASED_SUSPECT') group by all
),
rates as (
    select m.month, m.township, m.village, coalesce(d.deaths, 0) as deaths,
           coalesce(d.deaths, 0) / m.members as rate
    from members m left join deaths d using (month, township, village)
)
select now.township, now.village, now.deaths, now.rate, avg(past.rate) as past_rate
from rates now join rates past
  on past.township = now.township and past.village = now.village and past.month < now.month
where now.month = $month
group by all
