-- cross_duplicate_benefit: DUPLICATE_BENEFIT 重复享受 across counties.
-- One row per roster member of a county whose ID hash is also on another county's roster
-- this month; other_counties names the others.
-- Policy: one person is counted in one household only (《最低生活保障审核确认办法》第七条),
-- wherever the households are.
-- Inputs: city_roster_keys, city_counties (county key -> name).  Parameters: $month.
with keys as (
    select * from city_roster_keys where month = $month
),
final as (
    select $month as month, a.county, a.run_id, a.ref, 'DUPLICATE_BENEFIT' as rule,
           string_agg(distinct c.county_name, '、' order by c.county_name) as other_counties,
           cast(null as varchar) as sources, cast(null as date) as death_date
    from keys a
    join keys b on b.id_hash = a.id_hash and b.county <> a.county
    join city_counties c on c.county = b.county
    group by a.county, a.run_id, a.ref
)
select * from final order by county, ref
