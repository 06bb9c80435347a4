-- id_candidates: pairs (roster member, death record) whose IDs agree everywhere but one
-- digit, or but two adjacent digits (a typo or a transposition), compared on the cleaned
-- text so a bad check digit still blocks (the 18-digit form of a 15-digit ID).  Exact ID
-- matches are DECEASED_PAID's, not candidates.
-- Blocking: two such IDs agree on the ID with one of nine 3-character windows blanked out
-- (windows starting at 1, 3, ..., 15 and 16: every 2 adjacent positions lie in one), so
-- each record gives 9 keys of 15 characters; the pairs sharing a key are then kept only if
-- their differing positions really fit in 2 adjacent ones.
-- Inputs: match_sides.
create or replace table id_candidates as
with windows as (
    select unnest([1, 3, 5, 7, 9, 11, 13, 15, 16]) as q
),
id_keys as (
    select s.side, s.key, s.id_text,
           q || ':' || left(s.id_text, q - 1) || substr(s.id_text, q + 3) as id_key
    from match_sides s, windows
    where s.id_full_length
),
sharing as (
    select distinct m.key as member_key, d.key as evidence_id, m.id_text as m_id, d.id_text as d_id
    from id_keys m
    join id_keys d on d.id_key = m.id_key
    where m.side = 'member' and d.side = 'death'
),
compared as (
    select s.member_key, s.evidence_id,
           list_filter(range(1, 19), i -> s.m_id[i] <> s.d_id[i]) as differing
    from sharing s
),
final as (
    select c.member_key, c.evidence_id
    from compared c
    join match_sides m on m.side = 'member' and m.key = c.member_key
    join match_sides d on d.side = 'death' and d.key = c.evidence_id
    where (len(c.differing) <= 1 or (len(c.differing) = 2 and c.differing[2] = c.differing[1] + 1))
      and (m.id_number is null or m.id_number is distinct from d.id_number)
)
select * from final;
