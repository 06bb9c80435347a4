-- rule: DUPLICATE_BENEFIT
-- name_zh: 重复享受
-- severity: high
-- family: 重复享受
-- order: 60
-- outranks_village: always
-- payment: stop listing
-- payment_reason: 经核实重复享受救助
-- guidance: 同一人在两个以上家庭或村（社区）享受，或同时享受低保和特困供养。请核实实际情况，逐行选择“保留此处”或“停发此处”，只能保留一处；停发由镇民政办根据核实结果办理，多领的予以追回。
--
-- DUPLICATE_BENEFIT 重复享受
-- One row per roster row of a person (same valid ID) who is listed in more than one
-- household or village, or who receives both 低保 (城市/农村) and 特困供养.
-- Policy: 《特困人员认定办法》 第十七条 特困人员不再同时享受最低生活保障; one person is
-- counted in one household only (《最低生活保障审核确认办法》 第七条 家庭成员).
-- Inputs: stg_roster.
with listed as (
    select member_key, id_number, township, village, household_id, benefit_type
    from stg_roster
    where id_number is not null
),
people as (
    select
        id_number,
        count(distinct township || '|' || household_id) as households,
        bool_or(benefit_type like '%低保%') and bool_or(benefit_type like '%特困%') as both_benefits,
        string_agg(distinct village || '户编号' || household_id || '（' || coalesce(benefit_type, '类型不详') || '）',
                   '、' order by village || '户编号' || household_id || '（' || coalesce(benefit_type, '类型不详') || '）') as listings
    from listed
    group by id_number
    having count(distinct township || '|' || household_id) > 1 or both_benefits
),
final as (
    select
        'DUPLICATE_BENEFIT' as rule,
        l.member_key,
        '名册' as matched_source,
        cast(null as varchar) as matched_name,
        l.id_number as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        concat('同一身份证号在名册中出现于', p.households, '户：', p.listings,
               case when p.both_benefits then '；同时享受低保和特困供养' else '' end,
               '，请核实后只保留一处') as detail,
        p.listings as evidence_key
    from listed l
    join people p using (id_number)
)
select * from final
