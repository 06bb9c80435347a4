-- u_estimates: for each comparison level, u = how often two different people land on it,
-- measured as its share among random pairs (pair_levels built from u_sample_input) and
-- smoothed towards the declared u_prior with $prior_weight pseudo-pairs, so that a small
-- month (or a level never seen in the sample) still gets a sensible, non-zero u.
-- One row per (comparison, level) of match_priors.
-- Inputs: pair_levels, match_priors.  Parameters: $prior_weight.
create or replace temp table match_u as
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
measured as (
    select p.comparison, p.level, coalesce(c.pairs, 0) as pairs,
           -- rarer than one pair in ten million is not claimed from a sample of a few million
           greatest((coalesce(c.pairs, 0) + $prior_weight * p.u_prior)
                    / ((select count(*) from pair_levels) + $prior_weight), 1e-7) as u
    from match_priors p
    left join counted c using (comparison, level)
),
final as (
    -- A name equal but for placeholders is sure of its known syllables only: one of two in
    -- common, as a name one character off.  Its measured u is tiny because placeholders are
    -- rare in the sample, not because the agreement is: it is given one_char's u at least.
    select m.comparison, m.level, m.pairs,
           case when m.comparison = 'given' and m.level = 'unknown_syllable'
                then greatest(m.u, (select u from measured where comparison = 'given' and level = 'one_char'))
                else m.u end as u
    from measured m
)
select * from final;
