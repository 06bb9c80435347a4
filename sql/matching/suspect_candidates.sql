-- suspect_candidates: pairs (roster member, death record) worth scoring as the same person
-- although their IDs do not match exactly.  Blocking keeps this linear in the inputs:
--   birth  — same birth date (from the ID, else a day-precise 出生日期; or the roster's
--            出生日期 where it differs from the ID's: match_sides.birth_column) AND at least one
--            syllable of the names in common (a stranger born the same day with a wholly
--            different name is not worth scoring, and at city scale there are millions);
--   id     — id_candidates (IDs one digit or two adjacent digits apart).
-- Exact ID matches are DECEASED_PAID's, not candidates.
-- Inputs: match_sides, id_candidates.
-- Pairs are (member_rid, death_rid): rowids of match_sides, not its text keys.  A pair is
-- found once, on the first (lowest) syllable its names share, so that no city-sized
-- aggregate is needed to make the 23M pairs distinct.  A temporary table: read once by
-- candidate_input (which keeps the few hundred thousand worth scoring).  A birth-block pair
-- carries what candidate_input's bound asks of the pair itself (same surname, given name,
-- address; both IDs known), read off the two sides while they are joined here, so that
-- candidate_input never joins the 23M pairs back to match_sides.
create or replace temp table suspect_candidates as
with sides as (
    -- a member whose 出生日期 differs from the ID's is blocked under both dates (a death
    -- record has one date, so a pair still meets under one of them only)
    select rowid as rid, side, birth_date, id_number, surname, given, address,
           list_distinct(list_filter(syllables, s -> s not in ('', '?'))) as syllables
    from match_sides
    where birth_date is not null
    union all
    select rowid, side, birth_column, id_number, surname, given, address,
           list_distinct(list_filter(syllables, s -> s not in ('', '?')))
    from match_sides
    where birth_column is not null
),
syllable_keys as (
    select rid, side, birth_date, id_number, surname, given, address, syllables, unnest(syllables) as syllable
    from sides
),
by_birth as (
    select m.rid as member_rid, d.rid as death_rid, m.id_number as member_id, d.id_number as death_id,
           coalesce(m.surname = d.surname, false) as same_surname, coalesce(m.given = d.given, false) as same_given,
           coalesce(m.address = d.address, false) as same_address,
           m.id_number is not null and d.id_number is not null as both_ids
    from syllable_keys m
    join syllable_keys d on d.birth_date = m.birth_date and d.syllable = m.syllable
    where m.side = 'member' and d.side = 'death'
      and not list_has_any(list_filter(m.syllables, x -> x < m.syllable), d.syllables)
),
by_id as (                 -- whether an ID pair is also a birth pair is read off the pair itself
    select m.rowid as member_rid, d.rowid as death_rid, true as id_block,
           coalesce(m.birth_date = d.birth_date or m.birth_column = d.birth_date, false)
               and list_has_any(list_filter(m.syllables, s -> s not in ('', '?')), d.syllables) as birth_block,
           m.id_number as member_id, d.id_number as death_id
    from id_candidates c
    join match_sides m on m.side = 'member' and m.key = c.member_key
    join match_sides d on d.side = 'death' and d.key = c.evidence_id
),
pairs as (
    select member_rid, death_rid, id_block, birth_block, member_id, death_id,
           null::boolean as same_surname, null::boolean as same_given, null::boolean as same_address,
           null::boolean as both_ids
    from by_id
    union all
    select b.member_rid, b.death_rid, false, true, b.member_id, b.death_id,
           b.same_surname, b.same_given, b.same_address, b.both_ids
    from by_birth b
    left join by_id i on i.member_rid = b.member_rid and i.death_rid = b.death_rid
    where i.member_rid is null
),
final as (
    select member_rid, death_rid, id_block, birth_block, same_surname, same_given, same_address, both_ids
    from pairs
    where member_id is null or member_id is distinct from death_id
)
select * from final;
