-- rule: DECEASED_SUSPECT
-- name_zh: 疑似死亡（待核实）
-- severity: medium
-- family: 死亡疑点
-- order: 20
-- prepare: suspect_scoring
-- needs: DECEASED_PAID
-- guidance: 死亡登记中有一人与该对象姓名相近、出生日期相同（或身份证号只差一位），可能是同一人。请入户或电话核实本人是否健在；确已死亡的立即停发并追回多发资金，不是同一人的填“不属实”。
--
-- DECEASED_SUSPECT 疑似死亡（待核实）
-- One row per roster member without an exact-ID death record who matches a death
-- record by fuzzy identity: same or near name (edit distance or homophone 同音字) with the
-- same birth date, or an ID one digit or one transposition away with a near name.
-- score is the scorer's belief (flows/matching/deceased.py); rows at or above
-- $suspect_min_score are reported, the best death record per member, with every
-- source reporting it.  Evidence against (living population record, another valid ID)
-- lowers the score and is named in detail.
-- Policy: 坚决防止低保对象去世后仍长时间发放救助金 — a clerk's typo must not hide a death;
-- but stopping a living person's benefit is worse, so these are 待核实, never automatic.
-- Inputs: suspect_scores, stg_death_evidence, stg_roster.
-- Parameters: $suspect_min_score, $month_index.
with accepted as (
    select s.*, e.source, e.name as death_name, e.id_number_raw as death_id_raw,
           coalesce(e.id_number, e.id_clean) as death_id, e.death_date
    from suspect_scores s
    join stg_death_evidence e using (evidence_id)
    where s.score >= $suspect_min_score
),
per_member as (
    select
        member_key,
        max(score) as score,
        arg_max(death_name, (score, -epoch(coalesce(death_date, date '2100-01-01')))) as matched_name,
        arg_max(death_id, (score, -epoch(coalesce(death_date, date '2100-01-01')))) as matched_id_number,
        arg_max(detail, score) as best_detail,
        min(death_date) filter (where score >= $suspect_min_score) as death_date,
        string_agg(distinct source, '、' order by source) as sources,
        count(distinct source) as source_count,
        string_agg(source || coalesce(strftime(death_date, '%Y-%m-%d'), '(无日期)'), '；'
                   order by death_date, source) as evidence_text
    from accepted
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
        p.score,
        $month_index - (year(p.death_date) * 12 + month(p.death_date)) as months_overpaid,
        ($month_index - (year(p.death_date) * 12 + month(p.death_date))) * r.monthly_amount as amount_overpaid,
        concat('疑似死亡（评分', p.score, '）：', p.best_detail, '；', p.evidence_text,
               case when p.source_count >= 2 then '；' || p.source_count || '个来源均有记录' else '' end,
               '；请入户核实是否本人') as detail,
        concat_ws('|', p.sources, p.death_date, p.matched_id_number) as evidence_key
    from per_member p
    join stg_roster r using (member_key)
)
select * from final
