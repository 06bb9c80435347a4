-- rule: ID_NAME_MISMATCH
-- name_zh: 身份证号与姓名不符
-- severity: medium
-- family: 身份信息
-- order: 30
-- annex4: complete_info
-- guidance: 户籍人口库中该身份证号登记的是另一个姓名（见“户籍库姓名”列）。请核对身份证或户口簿，确认是姓名写错、号码写错，还是冒用他人身份。
--
-- ID_NAME_MISMATCH 身份证号与姓名不符
-- One row per roster member whose valid ID is registered in the population data under
-- another name, and under no record with the roster's name.  score = name similarity
-- (1 − edit distance in characters / length); a homophone (同音字) is said so in detail.
-- Policy: 核准身份信息，确保救助对象身份真实准确 (notice, 摸排 of 基础信息).
-- Inputs: stg_roster, stg_population.
with members as (
    select member_key, id_number, name, name_pinyin from stg_roster where id_number is not null
),
registered as (
    select id_number, name, name_pinyin, source_label from stg_population where id_number is not null
),
same_name as (
    select distinct m.member_key
    from members m join registered p on p.id_number = m.id_number and p.name = m.name
),
other_name as (
    select
        m.member_key, m.name as roster_name, m.name_pinyin as roster_pinyin,
        p.name as registry_name, p.name_pinyin as registry_pinyin, p.id_number, p.source_label,
        1.0 - name_edit_distance(m.name, p.name) / greatest(length(m.name), length(p.name)) as similarity
    from members m
    join registered p on p.id_number = m.id_number and p.name <> m.name
    where m.member_key not in (select member_key from same_name)
    qualify row_number() over (partition by m.member_key order by similarity desc, p.name) = 1
),
final as (
    select
        'ID_NAME_MISMATCH' as rule,
        member_key,
        source_label as matched_source,
        registry_name as matched_name,
        id_number as matched_id_number,
        cast(null as date) as death_date,
        round(similarity, 3) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        concat('户籍人口库中该身份证号登记姓名为「', registry_name, '」，与名册不一致',
               case when roster_pinyin = registry_pinyin then '（同音字，可能录入错误）' else '' end,
               '，请核对户口簿') as detail,
        registry_name as evidence_key
    from other_name
)
select * from final
