-- suspect_scores: the Fellegi–Sunter match probability of each candidate pair, and the
-- evidence in words.  For each comparison, weight = log2(m / u): m = how often the level
-- occurs when the two records ARE the same person (match_priors, declared in
-- flows/matching/weights.py), u = how often it occurs between two different people in this
-- month's data — the term frequency of the value for an exact agreement (a birth date —
-- the ID's (same) or the roster's differing 出生日期 (column), with column's smaller m —
-- surname or given name shared by many weighs little), otherwise the share among random
-- pairs (match_u); both smoothed towards u_prior by $prior_weight pseudo-records.  An 'unknown' level (invalid or missing ID, placeholder surname) weighs 0.
-- match_weight = log2(prior odds) + the sum of the weights; probability = 1 / (1 + 2^-weight).
-- One row per candidate pair.
-- Inputs: pair_levels (of the candidates), match_priors, match_u, term_frequencies.
-- Parameters: $prior (probability that a random member–death pair is one person),
-- $prior_weight, $records (members + death records, the term frequencies' total).
create or replace table suspect_scores as
with long as (
    -- value: the value agreed on, for the levels whose u is that value's term frequency
    select member_key, evidence_id, 'birth' as comparison, birth as level,
           case when birth in ('same', 'column') then birth_value end as value from pair_levels
    union all select member_key, evidence_id, 'surname', surname,
           case when surname = 'same' then surname_value end from pair_levels
    union all select member_key, evidence_id, 'given', given,
           case when given = 'same' then given_value end from pair_levels
    union all select member_key, evidence_id, 'id', id, null from pair_levels
    union all select member_key, evidence_id, 'sex', sex, null from pair_levels
    union all select member_key, evidence_id, 'place', place,
           case when place = 'address' then address_value end from pair_levels
),
weighed as (
    -- an exact agreement on a birth date, surname, given name or address: u is that
    -- value's term frequency (smoothed like match_u); any other level: match_u
    select l.member_key, l.evidence_id, l.comparison, l.level,
           case when l.level = 'unknown' then 0.0
                when l.value is not null
                    then log2(p.m / ((coalesce(tf.people, 0) + $prior_weight * p.u_prior) / ($records + $prior_weight)))
                else log2(p.m / u.u) end as weight,
           tf.people
    from long l
    join match_priors p using (comparison, level)
    join match_u u using (comparison, level)
    left join term_frequencies tf
        on tf.comparison = case l.comparison when 'place' then 'address' else l.comparison end
       and tf.value = l.value
),
summed as (
    select member_key, evidence_id,
           log2($prior / (1 - $prior)) + sum(weight) as match_weight,
           any_value(people) filter (where comparison = 'birth') as birth_people,
           any_value(people) filter (where comparison = 'given') as given_people,
           any_value(people) filter (where comparison = 'place') as address_people
    from weighed
    group by member_key, evidence_id
),
final as (
    select
        s.member_key, s.evidence_id,
        round(1 / (1 + pow(2, -s.match_weight)), 4) as score,
        round(s.match_weight, 2) as match_weight,
        concat_ws('|', 'birth:' || p.birth, 'surname:' || p.surname, 'given:' || p.given, 'id:' || p.id,
                  'place:' || p.place) as evidence_pattern,
        concat_ws('，',
            case p.given
                when 'same' then '姓名' || case p.surname when 'same' then '相同' else '中名字相同' end
                                 || '（同名字者' || coalesce(s.given_people, 0) || '人）'
                when 'sound' then case when p.written_in_latin
                                       then '姓名拼音相同（死亡记录以拼音书写“' || regexp_extract(p.d_name, '[A-Za-z]+') || '”）'
                                       when p.surname = 'same' then '姓名同音' else '名字同音' end
                when 'unknown_syllable' then '名字除无法录入的字外相同（死亡记录以“?”等代替）'
                when 'one_char' then '名字仅一字不同'
                when 'differs' then '名字不同'
            end,
            case p.surname when 'sound' then '姓氏同音' when 'differs' then '姓氏不同（反证）' end,
            case p.birth
                when 'same' then case when p.birth_two_dates
                                      then '出生日期与身份证号所示相同（名册所填出生日期与身份证号不符；本次数据中同日出生者'
                                      else '出生日期相同（本次数据中同日出生者' end
                                 || coalesce(s.birth_people, 0) || '人）'
                when 'column' then '出生日期与名册所填出生日期相同（与身份证号所示不同，名册登记可能有误；本次数据中同日出生者'
                                   || coalesce(s.birth_people, 0) || '人）'
                when 'differs' then '出生日期不同'
            end,
            case p.id
                when 'near' then '身份证号仅差一位或两位相邻数字颠倒'
                when 'conflict' then '死亡记录为另一有效身份证号（反证）'
                else '身份证号无效或缺失（不作证据）'
            end,
            case p.sex when 'differs' then '性别不同（反证）' end,
            case p.place
                when 'address' then '户籍地址与本人户籍登记相同（本次数据中同一地址' || coalesce(s.address_people, 0) || '人）'
                when 'village' then '户籍地址在本村'
                when 'township' then '户籍地址在本乡镇其他村'
                when 'district' then '户籍地址在本区县其他乡镇'
                when 'elsewhere' then '户籍地址在外区县'
            end
        ) as detail
    from summed s
    join pair_levels p using (member_key, evidence_id)
)
select * from final;
