-- chance_suspicions: the expected number of reported DECEASED_SUSPECT members who are in
-- fact someone else (the sum of 1 - probability over the best pair of each member at or
-- above the threshold, the probability as shared among the members one death record fits),
-- and how many members that is out of.  One row.
-- Inputs: suspect_shares, stg_roster.  Parameters: $suspect_min_probability.
-- shared: members whose best death record fits several members (namesakes), and their
-- part of expected_chance (about k - 1 of every k such members are someone else).
with best as (
    select member_key, max(score) as probability, arg_max(sharing, score) as sharing
    from suspect_shares
    where own_score >= $suspect_min_probability
    group by member_key
)
select
    coalesce(sum(1 - probability), 0) as expected_chance,
    count(*) as suspicions,
    count(*) filter (where sharing >= 2) as shared,
    coalesce(sum(1 - probability) filter (where sharing >= 2), 0) as expected_chance_shared,
    (select count(*) from stg_roster) as recipients
from best;
