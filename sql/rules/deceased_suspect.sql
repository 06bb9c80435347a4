-- rule: DECEASED_SUSPECT
-- name_zh: 疑似死亡（待核实）
-- severity: medium
-- family: 死亡疑点
-- order: 20
-- prepare: suspect_scoring
-- needs: DECEASED_PAID
-- payment: stop person
-- payment_reason: 经核实已死亡
-- annex4: overpaid_confirmed
-- guidance: 死亡登记中有一人与该对象姓名相近、出生日期相同（或身份证号只差一位），可能是同一人。请入户或电话核实本人是否健在；确已死亡的填“属实”（由镇民政办停发并追回多发资金），不是同一人的填“不属实”。
--
-- DECEASED_SUSPECT 疑似死亡（待核实）
-- One row per roster member without an exact-ID death record who matches a death record
-- by fuzzy identity with a match probability (Fellegi–Sunter, sql/matching/suspect_scores.sql)
-- at or above $suspect_min_probability on her own evidence: the best death record per
-- member, with every source reporting it.  score is that probability as shared among the
-- members one death record fits (sql/matching/suspect_shares.sql: two namesakes of one
-- village born the same day get about half each, and detail says 同村同名同生日共k人，
-- 请核实是哪一位); detail says which agreements carried the pair — which birth date
-- agreed, the ID's or the roster's 出生日期 — and how common they are in this month's data.
-- A death known only to the month (death_date_precision = 'month') counts from that month;
-- one source reporting the same death twice is listed once, with both dates only if they differ.
-- Policy: 坚决防止低保对象去世后仍长时间发放救助金 — a clerk's typo must not hide a death;
-- but stopping a living person's benefit is worse, so these are 待核实, never automatic.
-- evidence_pattern (birth|surname|given|id|place levels, as benchmarks/suspects.py counts them)
-- and match_levels (every comparison's level, sex included) of the best pair are kept with the
-- finding, so later months can join the villages' answers to them (flows/matching/model.py).
-- Inputs: suspect_shares, suspect_scores, pair_levels (of the candidates), stg_death_evidence, stg_roster.
-- Parameters: $suspect_min_probability, $month_index.
with accepted as (
    select s.member_key, s.evidence_id, h.score, s.score as own_score, s.detail, h.sharing, h.namesakes,
           s.evidence_pattern,
           concat_ws('|', 'birth:' || l.birth, 'surname:' || l.surname, 'given:' || l.given, 'id:' || l.id,
                     'sex:' || l.sex, 'place:' || l.place) as match_levels,
           e.source, e.name as death_name,
           coalesce(e.id_number, e.id_clean) as death_id, e.death_date, e.death_date_precision,
           case when e.death_date_precision = 'month' then strftime(e.death_date, '%Y-%m') || '（日不详）'
                else strftime(e.death_date, '%Y-%m-%d') end as death_date_text
    from suspect_shares h
    join suspect_scores s using (member_key, evidence_id)
    join pair_levels l using (member_key, evidence_id)
    join stg_death_evidence e using (evidence_id)
    where h.own_score >= $suspect_min_probability
),
per_source as (
    select member_key, source, min(death_date) as first_date,
           string_agg(distinct coalesce(death_date_text, '(无日期)'), '、' order by coalesce(death_date_text, '(无日期)'))
               as dates_text
    from accepted
    group by member_key, source
),
per_source_text as (
    select member_key, string_agg(source || dates_text, '；' order by first_date, source) as evidence_text
    from per_source
    group by member_key
),
per_member as (
    select
        member_key,
        max(score) as score,
        arg_max(death_name, (score, -epoch(coalesce(death_date, date '2100-01-01')))) as matched_name,
        arg_max(death_id, (score, -epoch(coalesce(death_date, date '2100-01-01')))) as matched_id_number,
        -- the best pair's evidence in words, its evidence pattern and every comparison's level
        arg_max([detail, evidence_pattern, match_levels], score) as best,
        arg_max(sharing, score) as sharing,
        arg_max(namesakes, score) as namesakes,
        arg_max(own_score, score) as own_score,
        -- the earliest death month; within it a date known to the day over one known to the month
        arg_min(death_date, (year(death_date) * 12 + month(death_date), death_date_precision = 'month', death_date))
            as death_date,
        arg_min(death_date_precision, (year(death_date) * 12 + month(death_date), death_date_precision = 'month', death_date))
            as death_date_precision,
        string_agg(distinct source, '、' order by source) as sources,
        count(distinct source) as source_count,
        any_value(t.evidence_text) as evidence_text
    from accepted
    join per_source_text t using (member_key)
    group by member_key
),
final as (
    select
        'DECEASED_SUSPECT' as rule,
        p.member_key,
        p.sources as matched_source,
        p.matched_name,
        p.matched_id_number,
        p.death_date,
        p.death_date_precision,
        p.score,
        $month_index - (year(p.death_date) * 12 + month(p.death_date)) as months_overpaid,
        ($month_index - (year(p.death_date) * 12 + month(p.death_date))) * r.monthly_amount as amount_overpaid,
        concat('疑似死亡（匹配概率', p.score, '）：',
               case when p.sharing >= 2
                    then case when p.namesakes then '同村同名同生日共' || p.sharing || '人，请核实是哪一位'
                              else '该死亡记录与在册对象共' || p.sharing || '人均相符，请核实是哪一位' end
                         || '（同一死亡记录只属一人，概率按' || p.sharing || '人分摊；单看本人匹配概率' || p.own_score || '）；'
                    else '' end,
               p.best[1], '；', p.evidence_text,
               case when p.source_count >= 2 then '；' || p.source_count || '个来源均有记录' else '' end,
               case when p.death_date_precision = 'month' then '；死亡日期只知年月（日不详），按该月计算' else '' end,
               '；请入户核实是否本人') as detail,
        concat_ws('|', p.sources, p.death_date, p.matched_id_number) as evidence_key,
        p.best[2] as evidence_pattern,
        p.best[3] as match_levels
    from per_member p
    join stg_roster r using (member_key)
)
select * from final
