-- u_sample_input: random pairs of roster members and death records — almost all of them two
-- different people — on which each comparison level's u (its share among non-matches) is
-- measured.  Up to $u_members members × $u_deaths deaths, chosen by a hash of their key,
-- so the same data gives the same sample.  Pairs in the ID block (IDs one typo apart) are
-- left out: they are the likely same people, and would make a typo look common by chance.
-- Inputs: match_sides, id_candidates.  Parameters: $u_members, $u_deaths.
create or replace temp table pair_input as
with members as (
    select key from match_sides where side = 'member' order by hash(key, 'u-member') limit $u_members
),
deaths as (
    select key from match_sides where side = 'death' order by hash(key, 'u-death') limit $u_deaths
),
final as (
    select m.key as member_key, d.key as evidence_id
    from members m cross join deaths d
    anti join id_candidates c
        on c.member_key = m.key and c.evidence_id = d.key
)
select * from final;
