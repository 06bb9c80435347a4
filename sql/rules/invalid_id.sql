-- rule: INVALID_ID
-- name_zh: 身份证号无效
-- severity: medium
-- family: 身份信息
-- order: 40
-- annex4: complete_info
-- guidance: 名册中的身份证号位数、出生日期或校验位有误，或被Excel转成了数字。请核对本人身份证或户口簿，将正确信息报镇民政办更正。
--
-- INVALID_ID 身份证号无效
-- One row per roster member whose 身份证号码 is not a valid GB 11643 number: empty,
-- wrong length, illegal characters, impossible birth date, a region code never in use,
-- a wrong check digit, or digits lost when Excel stored the ID as a number.
-- Policy: 身份信息准确 is the precondition of every other check; an unreadable ID can
-- hide a death.  《最低生活保障审核确认办法》 requires 申请人及家庭成员身份证明.
-- Inputs: stg_roster (id_status computed by flows.normalize.ids).
with reasons(status, reason) as (
    values ('empty', '身份证号为空'),
           ('corrupted', '身份证号被Excel转为数字，末几位已丢失，无法比对'),
           ('bad_length', '身份证号位数不对（应为18位）'),
           ('bad_chars', '身份证号含非法字符'),
           ('bad_birth_date', '身份证号中的出生日期不存在'),
           ('unknown_region', '身份证号前6位不是有效的行政区划代码'),
           ('bad_check_digit', '身份证号校验位错误，可能录错一位数字')
),
final as (
    select
        'INVALID_ID' as rule,
        r.member_key,
        cast(null as varchar) as matched_source,
        cast(null as varchar) as matched_name,
        cast(null as varchar) as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        coalesce(reasons.reason, '身份证号无效') || '，请核对户口簿后更正' as detail,
        r.id_status || '|' || coalesce(r.id_number_raw, '') as evidence_key
    from stg_roster r
    left join reasons on reasons.status = r.id_status
    where r.id_status <> 'valid'
)
select * from final
