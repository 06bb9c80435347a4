-- rule: DECEASED_PAID
-- name_zh: 死亡仍在保
-- severity: high
-- family: 死亡疑点
-- order: 10
-- outranks_village: registry_death
-- payment: stop person
-- payment_reason: 经核实已死亡
-- annex4: stopped_amount, overpaid
-- guidance: 公安或计生数据显示该对象已死亡但仍在发放。请核实死亡情况，在“核实结果”中填写；属实的由镇民政办停发并追回多发资金。
--
-- DECEASED_PAID 死亡仍在保
-- One row per roster member whose ID (after normalisation) appears exactly in a death
-- record — 公安死亡注销, 计生 人员状态=死亡, 火化, any configured death source — with a
-- death date on or before the last day of the run month.
-- Policy: 坚决防止低保对象去世后仍长时间发放救助金 (notice); 《最低生活保障审核确认办法》
-- 第三十二条 家庭成员死亡的应当及时办理停发或减发.
-- Evidence: every matching source with its date is listed; two or more sources make the
-- death 已证实, one makes it 待核.  The earliest credible date (on or after birth, not
-- after month end) drives months_overpaid = months after the death month up to and
-- including M; amount_overpaid = months_overpaid × 个人月保障金额.  A date known only to
-- the month (death_date_precision = 'month') gives that month exactly.
-- A household whose every member died is to be stopped (停发), otherwise reduced (减发).
-- Parameters: $month_end (date), $month_index (year*12 + month of M).
with members as (
    select member_key, township, household_id, id_number, birth_date, id_birth_date, monthly_amount
    from stg_roster
    where id_number is not null
),
evidence as (
    select m.member_key, e.source, e.name, e.id_number, e.death_date, e.death_date_precision,
           case when e.death_date_precision = 'month' then strftime(e.death_date, '%Y-%m') || '（日不详）'
                else strftime(e.death_date, '%Y-%m-%d') end as death_date_text
    from members m
    join stg_death_evidence e on e.id_number = m.id_number
    where coalesce(e.death_date, $month_end) <= $month_end
      and coalesce(e.death_date, $month_end) >= coalesce(m.id_birth_date, m.birth_date, date '1880-01-01')
),
per_source as (
    -- one source reporting the same death twice is one piece of evidence: its dates once each
    select member_key, source,
           min(death_date) as first_date,
           string_agg(distinct coalesce(death_date_text, '(无日期)'), '、' order by coalesce(death_date_text, '(无日期)'))
               as dates_text
    from evidence
    group by member_key, source
),
per_source_text as (
    select member_key,
           string_agg(source || dates_text, '；' order by first_date, source) as evidence_text
    from per_source
    group by member_key
),
per_member as (
    select
        member_key,
        -- the earliest death month; within it a date known to the day over one known to the month
        arg_min(death_date, (year(death_date) * 12 + month(death_date), death_date_precision = 'month', death_date))
            as death_date,
        arg_min(death_date_precision, (year(death_date) * 12 + month(death_date), death_date_precision = 'month', death_date))
            as death_date_precision,
        count(distinct source) as source_count,
        string_agg(distinct source, '、' order by source) as sources,
        any_value(t.evidence_text) as evidence_text,
        count(distinct death_date_text) as distinct_dates,
        any_value(name order by death_date) as matched_name,
        any_value(id_number) as matched_id_number
    from evidence
    join per_source_text t using (member_key)
    group by member_key
),
household_deaths as (
    select r.township, r.household_id,
           count(*) as members,
           count(p.member_key) as deceased_members
    from stg_roster r
    left join per_member p using (member_key)
    group by r.township, r.household_id
),
final as (
    select
        'DECEASED_PAID' as rule,
        m.member_key,
        p.sources as matched_source,
        p.matched_name,
        p.matched_id_number,
        p.death_date,
        p.death_date_precision,
        1.0 as score,
        $month_index - (year(p.death_date) * 12 + month(p.death_date)) as months_overpaid,
        ($month_index - (year(p.death_date) * 12 + month(p.death_date))) * m.monthly_amount as amount_overpaid,
        concat(
            case when p.source_count >= 2 then p.source_count || '个来源证实死亡（已证实）'
                 else p.sources || '数据显示死亡（单一来源，待核）' end,
            '：', p.evidence_text,
            case when p.distinct_dates > 1 then '；各来源死亡日期不一致，按最早日期计算' else '' end,
            case when p.death_date_precision = 'month' then '；死亡日期只知年月（日不详），按该月计算' else '' end,
            '；已多发', $month_index - (year(p.death_date) * 12 + month(p.death_date)), '个月',
            case when h.deceased_members = h.members then '；全户成员均已死亡，应停发'
                 else '；家庭成员死亡，应减发并调整保障人数' end
        ) as detail,
        concat_ws('|', p.sources, p.death_date) as evidence_key
    from per_member p
    join members m using (member_key)
    join household_deaths h on h.township = m.township and h.household_id = m.household_id
)
select * from final
