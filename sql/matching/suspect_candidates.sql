-- suspect_candidates: pairs (roster member, death record) worth scoring as the same person
-- although their IDs do not match exactly.  Blocking keeps this linear in the inputs:
--   birth  — same birth date (from the ID, else a day-precise 出生日期) AND at least one
--            syllable of the names in common (a stranger born the same day with a wholly
--            different name is not worth scoring, and at city scale there are millions);
--   id     — id_candidates (IDs one digit or two adjacent digits apart).
-- Exact ID matches are DECEASED_PAID's, not candidates.
-- Inputs: match_sides, id_candidates.
create or replace table suspect_candidates as
with members as (
    select * from match_sides where side = 'member'
),
deaths as (
    select * from match_sides where side = 'death'
),
syllable_keys as (
    select distinct side, key, birth_date, unnest(syllables) as syllable
    from match_sides
    where birth_date is not null
),
by_birth as (
    select distinct m.key as member_key, d.key as evidence_id
    from syllable_keys m
    join syllable_keys d on d.birth_date = m.birth_date and d.syllable = m.syllable
    where m.side = 'member' and d.side = 'death' and m.syllable not in ('', '?')
),
pairs as (
    select member_key, evidence_id, 'id' as block from id_candidates
    union all
    select member_key, evidence_id, 'birth' from by_birth
),
final as (
    select
        p.member_key, p.evidence_id,
        bool_or(p.block = 'id') as id_block,
        bool_or(p.block = 'birth') as birth_block
    from pairs p
    join members m on m.key = p.member_key
    join deaths d on d.key = p.evidence_id
    where m.id_number is null or m.id_number is distinct from d.id_number
    group by p.member_key, p.evidence_id
)
select * from final;
