-- candidate_input: the blocked candidate pairs that can still reach the suspicion
-- threshold, as the input of pair_levels.
-- A pair found only by birth date (not in the ID block) has an ID level of 'conflict'
-- (both IDs valid: another person's) or 'unknown', and its other levels are bounded by
-- cheap equalities: its birth date weighs at most the better of the member's two dates
-- (the ID's, level same; the roster's differing 出生日期, level column), a surname, given name or address agreement weighs what
-- suspect_scores.sql gives the member's value (its term frequency), any other level at
-- most the best weight of the comparison's other levels.  A pair whose best possible
-- weight is below $min_weight (the threshold's, from flows/matching/deceased.py) cannot
-- be reported and is not scored: at city scale that is most of the birth block (namesakes
-- born the same day with IDs of their own), and leaving them out changes no finding.
-- Pairs in the ID block are always scored.
-- Inputs: suspect_candidates, match_sides, match_priors, match_u, term_frequencies.
-- Parameters: $prior, $prior_weight, $records, $min_weight.
create or replace temp table pair_input as
with level_weights as (
    -- as in suspect_scores: 'unknown' weighs 0, any other level log2(m / u)
    select p.comparison, p.level, p.m, p.u_prior,
           case when p.level = 'unknown' then 0.0 else log2(p.m / u.u) end as weight
    from match_priors p
    join match_u u using (comparison, level)
),
agreement as (
    -- the level whose weight is the term frequency of the value agreed on (tf_name: the
    -- member's value; tf_comparison: where term_frequencies counts it)
    select * from (values ('birth', 'same', 'birth', 'birth'), ('birth', 'column', 'birth_column', 'birth'),
                          ('surname', 'same', 'surname', 'surname'), ('given', 'same', 'given', 'given'),
                          ('place', 'address', 'address', 'address')) t(comparison, level, tf_name, tf_comparison)
),
others as (
    -- per comparison, the best weight of the levels that are not a value agreement
    select w.comparison, max(w.weight) as best
    from level_weights w
    anti join agreement a using (comparison, level)
    group by w.comparison
),
constants as (
    select
        log2($prior / (1 - $prior)) as prior_weight,
        (select best from others where comparison = 'surname') as surname_other,
        (select best from others where comparison = 'given') as given_other,
        (select best from others where comparison = 'place') as place_other,
        (select max(weight) from level_weights where comparison = 'sex') as sex_best,
        (select weight from level_weights where comparison = 'id' and level = 'conflict') as conflict
),
member_values as (
    select rowid as rid, 'birth' as tf_name, strftime(birth_date, '%Y-%m-%d') as value from match_sides where side = 'member'
    union all select rowid, 'birth_column', strftime(birth_column, '%Y-%m-%d') from match_sides where side = 'member'
    union all select rowid, 'surname', surname from match_sides where side = 'member'
    union all select rowid, 'given', given from match_sides where side = 'member'
    union all select rowid, 'address', address from match_sides where side = 'member'
),
member_weights as (
    -- the weight of agreeing on the member's own value, as suspect_scores computes it
    select v.rid,
           max(v.weight) filter (where v.tf_name = 'birth') as birth,
           max(v.weight) filter (where v.tf_name = 'birth_column') as birth_column,
           max(v.weight) filter (where v.tf_name = 'surname') as surname,
           max(v.weight) filter (where v.tf_name = 'given') as given,
           max(v.weight) filter (where v.tf_name = 'address') as address
    from (
        select v.rid, v.tf_name,
               log2(l.m / ((coalesce(tf.people, 0) + $prior_weight * l.u_prior) / ($records + $prior_weight))) as weight
        from member_values v
        join agreement a using (tf_name)
        join level_weights l on l.comparison = a.comparison and l.level = a.level
        left join term_frequencies tf on tf.comparison = a.tf_comparison and tf.value = v.value
        where v.value is not null
    ) v
    group by v.rid
),
birth_only as (
    select c.member_rid, c.death_rid,
           k.prior_weight
           + case when c.both_ids then k.conflict else 0 end
           -- the pair shares the ID's birth date or the roster's 出生日期: the better of the two
           + greatest(coalesce(w.birth, 0), coalesce(w.birth_column, 0), 0)
           + case when c.same_surname then greatest(coalesce(w.surname, 0), k.surname_other) else k.surname_other end
           + case when c.same_given then greatest(coalesce(w.given, 0), k.given_other) else k.given_other end
           + case when c.same_address then greatest(coalesce(w.address, 0), k.place_other) else k.place_other end
           + k.sex_best as best_weight
    from suspect_candidates c
    cross join constants k
    left join member_weights w on w.rid = c.member_rid
    where not c.id_block
),
kept as (
    select member_rid, death_rid from suspect_candidates where id_block
    union all
    select member_rid, death_rid from birth_only where best_weight >= $min_weight
)
select m.key as member_key, d.key as evidence_id
from kept c
join match_sides m on m.rowid = c.member_rid
join match_sides d on d.rowid = c.death_rid;
