-- rule: NOT_IN_REGISTRY
-- name_zh: 户籍人口库查无此人
-- severity: medium
-- family: 身份信息
-- order: 70
-- annex4: complete_info
-- guidance: 身份证号本身有效，但户籍人口库中查不到此人。请核实本人户籍是否在本地、是否已迁出或注销。
--
-- NOT_IN_REGISTRY 户籍人口库查无此人
-- One row per roster member with a valid ID that appears nowhere in the population
-- data (any 人员状态).  Often a wrong ID, a person registered elsewhere, or someone
-- who no longer exists in the 户籍 system.
-- Policy: 低保对象应与户籍人口数据比对，做到人、户、籍一致 (notice, 数据比对).
-- Inputs: stg_roster, stg_population.
with registered as (
    select distinct id_number from stg_population where id_number is not null
),
final as (
    select
        'NOT_IN_REGISTRY' as rule,
        r.member_key,
        cast(null as varchar) as matched_source,
        cast(null as varchar) as matched_name,
        cast(null as varchar) as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        '户籍人口库中查无此身份证号，请核实身份证号是否正确、户籍是否在本镇' as detail,
        'absent' as evidence_key
    from stg_roster r
    anti join registered using (id_number)
    where r.id_number is not null
)
select * from final
