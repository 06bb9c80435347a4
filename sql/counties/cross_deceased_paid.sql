-- cross_deceased_paid: DECEASED_PAID 死亡仍在保 across counties.
-- One row per roster member of a county whose ID hash is in another county's police or
-- cremation deaths with a death date on or before the last day of the month (or none).
-- Policy: 坚决防止低保对象去世后仍长时间发放救助金 (notice) — a death registered where the
-- person died, not where they are paid, must stop the payment too.
-- Inputs: city_roster_keys, city_death_keys, city_counties.  Parameters: $month, $month_end.
-- A nation's roster (66M keys) is first cut to the members whose 64-bit hash of the hash
-- is a death's (a collision only adds a candidate, which the exact join drops), so the
-- 64-character hashes are compared for a few hundred thousand rows, not 66M.
with deaths as (
    select * from city_death_keys
    where month = $month and coalesce(death_date, $month_end) <= $month_end
),
keys as (
    select * from city_roster_keys
    where month = $month and hash(id_hash) in (select hash(id_hash) from deaths)
),
final as (
    select $month as month, a.county, a.run_id, a.ref, 'DECEASED_PAID' as rule,
           string_agg(distinct c.county_name, '、' order by c.county_name) as other_counties,
           string_agg(distinct d.source, '、' order by d.source) as sources,
           min(d.death_date) as death_date
    from keys a
    join deaths d on d.id_hash = a.id_hash and d.county <> a.county
    join city_counties c on c.county = d.county
    group by a.county, a.run_id, a.ref
)
select * from final order by county, ref
