-- u_estimates: for each comparison level, u = how often two different people land on it,
-- measured as its share among random pairs (pair_levels built from u_sample_input) and
-- smoothed towards the declared u_prior with $prior_weight pseudo-pairs, so that a small
-- month (or a level never seen in the sample) still gets a sensible, non-zero u.
-- One row per (comparison, level) of match_priors.
-- Inputs: pair_levels, match_priors.  Parameters: $prior_weight.
create or replace table match_u as
with long as (
    select 'birth' as comparison, birth as level from pair_levels
    union all select 'surname', surname from pair_levels
    union all select 'given', given from pair_levels
    union all select 'id', id from pair_levels
    union all select 'sex', sex from pair_levels
    union all select 'place', place from pair_levels
),
counted as (
    select comparison, level, count(*) as pairs from long group by all
),
final as (
    select p.comparison, p.level, coalesce(c.pairs, 0) as pairs,
           -- rarer than one pair in ten million is not claimed from a sample of a few million
           greatest((coalesce(c.pairs, 0) + $prior_weight * p.u_prior)
                    / ((select count(*) from pair_levels) + $prior_weight), 1e-7) as u
    from match_priors p
    left join counted c using (comparison, level)
)
select * from final;
