-- suspect_shares: a death record's probability shared among the roster members it fits.
-- One death is one person's: when a death record without an exact ID fits k members at or
-- above $suspect_min_probability each (two namesakes of one village born the same day),
-- their probabilities cannot all be near 1.  Each pair's probability is scaled so that the
-- record's members sum to the record's own best probability:
--     score_i = own_i × max_j own_j / Σ_j own_j        (over the record's flagged members)
-- k equal fits get own / k each; one fit keeps its own probability.  Whether a member is
-- flagged at all is decided on her own evidence (own_score >= the threshold), before the
-- split: a member is never flagged, nor left out, because of the split.
-- namesakes: all k share township, village, name and the birth date agreed on
-- (同村同名同生日).  A death record that names a member by exact ID (DECEASED_PAID) never
-- gets here: match_sides leaves it out of fuzzy matching.
-- One row per flagged (member, death record) pair.
-- Inputs: suspect_scores, pair_levels, match_sides.  Parameters: $suspect_min_probability.
create or replace table suspect_shares as
with flagged as (
    select s.member_key, s.evidence_id, s.score as own_score,
           m.township, m.village, m.name_key, p.birth_value
    from suspect_scores s
    join pair_levels p using (member_key, evidence_id)
    join match_sides m on m.side = 'member' and m.key = s.member_key
    where s.score >= $suspect_min_probability
),
per_record as (
    select evidence_id, count(*) as sharing, sum(own_score) as total, max(own_score) as best,
           count(distinct (township, village, name_key, birth_value)) = 1 as namesakes
    from flagged
    group by evidence_id
),
final as (
    select f.member_key, f.evidence_id, f.own_score,
           case when r.sharing = 1 then f.own_score
                else round(f.own_score * r.best / r.total, 4) end as score,
           r.sharing, r.namesakes
    from flagged f
    join per_record r using (evidence_id)
)
select * from final;
