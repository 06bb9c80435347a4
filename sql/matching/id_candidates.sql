-- id_candidates: pairs (roster member, death record) whose IDs agree everywhere but one
-- digit, or but two adjacent digits (a typo or a transposition), compared on the cleaned
-- text so a bad check digit still blocks (the 18-digit form of a 15-digit ID).  Exact ID
-- matches are DECEASED_PAID's, not candidates.
-- Blocking: two such IDs agree on the ID with one of nine 3-character windows blanked out
-- (windows starting at 1, 3, ..., 15 and 16: every 2 adjacent positions lie in one), so
-- each record gives 9 keys of 15 characters; the pairs sharing a key are then kept only if
-- their differing positions really fit in 2 adjacent ones (which also drops the pairs that
-- share only a hash).
-- Inputs: match_sides.
create or replace temp table id_candidates as
with windows as (
    select unnest([1, 3, 5, 7, 9, 11, 13, 15, 16]) as q
),
id_keys as (                -- a key's 64-bit hash: a city's 26M keys fit in memory; a shared hash
    select s.side, s.key,   -- that is not a shared key is dropped by the exact test below
           hash(q, left(s.id_text, q - 1) || substr(s.id_text, q + 3)) as id_key
    from match_sides s, windows
    where s.id_full_length
),
sharing as (
    select distinct m.key as member_key, d.key as evidence_id
    from (select key, id_key from id_keys where side = 'member') m
    join (select key, id_key from id_keys where side = 'death') d on d.id_key = m.id_key
),
compared as (
    select s.member_key, s.evidence_id, m.id_number as m_number, d.id_number as d_number,
           list_filter(range(1, 19), i -> m.id_text[i] <> d.id_text[i]) as differing
    from sharing s
    join match_sides m on m.side = 'member' and m.key = s.member_key
    join match_sides d on d.side = 'death' and d.key = s.evidence_id
),
final as (
    select member_key, evidence_id
    from compared
    where (len(differing) <= 1 or (len(differing) = 2 and differing[2] = differing[1] + 1))
      and (m_number is null or m_number is distinct from d_number)
)
select * from final;
