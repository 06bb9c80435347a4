-- suspect_pairs: the candidate pairs with what the scorer needs from both sides.
-- alive_in_population: the member's own valid ID is registered 正常 under the same name,
-- which counts against a death found only by fuzzy evidence.
-- Inputs: suspect_candidates, stg_roster, stg_death_evidence, stg_population.
with alive as (
    select distinct r.member_key
    from stg_roster r
    join stg_population p on p.id_number = r.id_number and p.name = r.name and p.status = '正常'
),
final as (
    select
        c.member_key, c.evidence_id,
        r.name as member_name, r.name_pinyin as member_pinyin,
        coalesce(r.id_number, r.id_clean) as member_id_text,
        r.id_number is not null as member_id_valid,
        coalesce(r.id_birth_date, r.birth_date) as member_birth,
        e.name as death_name, e.name_pinyin as death_pinyin,
        coalesce(e.id_number, e.id_clean) as death_id_text,
        e.id_number is not null as death_id_valid,
        e.birth_date as death_birth,
        a.member_key is not null as alive_in_population
    from suspect_candidates c
    join stg_roster r using (member_key)
    join stg_death_evidence e using (evidence_id)
    left join alive a on a.member_key = c.member_key
)
select * from final order by member_key, evidence_id
