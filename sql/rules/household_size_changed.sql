-- rule: HOUSEHOLD_SIZE_CHANGED
-- name_zh: 家庭人口变动未调整
-- severity: medium
-- family: 家庭变动
-- order: 90
-- needs: DECEASED_PAID
-- payment: adjust household
-- payment_reason: 经核实家庭人口发生变化
-- guidance: 名册中的保障人数与家庭在册成员不一致，或家庭成员已死亡。请核实家庭人口变化，在“备注”中写明现有人口；保障人数和金额由镇民政办调整。
--
-- HOUSEHOLD_SIZE_CHANGED 家庭人口变动未调整
-- One row per household (shown on the 户主's row) whose 保障人数 differs from the
-- members listed on the roster who are alive, or in which a member has died
-- (a DECEASED_PAID finding of this run).
-- Policy: 《最低生活保障审核确认办法》 第三十一条 家庭人口状况发生变化的应及时调整保障金额.
-- Inputs: stg_households, rule_hits (DECEASED_PAID must run before this rule).
with deaths as (
    select r.township, r.household_id, count(*) as deceased
    from rule_hits h join stg_roster r using (member_key)
    where h.rule = 'DECEASED_PAID'
    group by r.township, r.household_id
),
households as (
    select h.*, coalesce(d.deceased, 0) as deceased,
           h.roster_members - coalesce(d.deceased, 0) as living_members
    from stg_households h
    left join deaths d using (township, household_id)
),
final as (
    select
        'HOUSEHOLD_SIZE_CHANGED' as rule,
        head_member_key as member_key,
        '名册' as matched_source,
        cast(null as varchar) as matched_name,
        cast(null as varchar) as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        concat('保障人数为', coalesce(cast(declared_size as integer)::varchar, '空'),
               '，名册列出', roster_members, '人',
               case when deceased > 0 then '，其中' || deceased || '人已死亡' else '' end,
               '，在世', living_members, '人，请调整保障人数和保障金额') as detail,
        concat_ws('|', declared_size, roster_members, deceased) as evidence_key
    from households
    where declared_size is distinct from living_members or deceased > 0
)
select * from final
