-- cross_duplicate_benefit: DUPLICATE_BENEFIT 重复享受 across counties.
-- One row per roster member of a county whose ID hash is also on another county's roster
-- this month; other_counties names the others.
-- Policy: one person is counted in one household only (《最低生活保障审核确认办法》第七条),
-- wherever the households are.
-- Inputs: city_roster_keys, city_counties (county key -> name).  Parameters: $month.
-- At a nation's size (66M keys) a self-join on the 64-character hash spills gigabytes:
-- the few hashes seen more than once are found first on a 64-bit hash of the hash (a
-- collision only adds a candidate, which the exact join drops), and only their rows are
-- joined.  `keys` is not materialized: a CTE read twice would be copied whole.
with keys as not materialized (
    select * from city_roster_keys where month = $month
),
repeated as (
    select hash(id_hash) as id_hash64 from keys group by all having count(*) > 1
),
candidates as (
    select * from keys where hash(id_hash) in (select id_hash64 from repeated)
),
final as (
    select $month as month, a.county, a.run_id, a.ref, 'DUPLICATE_BENEFIT' as rule,
           string_agg(distinct c.county_name, '、' order by c.county_name) as other_counties,
           cast(null as varchar) as sources, cast(null as date) as death_date
    from candidates a
    join candidates b on b.id_hash = a.id_hash and b.county <> a.county
    join city_counties c on c.county = b.county
    group by a.county, a.run_id, a.ref
)
select * from final order by county, ref
