-- rule: ID_ATTR_MISMATCH
-- name_zh: 性别/出生日期与身份证号不符
-- severity: low
-- family: 身份信息
-- order: 50
-- annex4: complete_info
-- guidance: 名册中的性别或出生日期与身份证号不一致。请核对身份证，报镇民政办更正名册。
--
-- ID_ATTR_MISMATCH 性别/出生日期与身份证号不符
-- One row per roster member whose 性别 or 出生日期 disagrees with what the valid ID
-- encodes (digits 7-14 are the birth date; the 17th digit is odd for 男, even for 女).
-- A 出生日期 known only to the month (1950年3月) is compared by month.
-- Policy: 核准身份信息 (notice); a wrong birth date also shifts age-based 特困 eligibility.
-- Inputs: stg_roster.
with roster as (
    select *,
           case when birth_date_precision = 'month' then 7 else 10 end as birth_chars,
           birth_date is not null
               and case when birth_date_precision = 'month'
                        then date_trunc('month', birth_date) <> date_trunc('month', id_birth_date)
                        else birth_date <> id_birth_date end as birth_differs
    from stg_roster
),
final as (
    select
        'ID_ATTR_MISMATCH' as rule,
        member_key,
        cast(null as varchar) as matched_source,
        cast(null as varchar) as matched_name,
        cast(null as varchar) as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        concat_ws('；',
            case when sex is not null and sex <> id_sex
                 then '名册性别为' || sex || '，身份证号显示为' || id_sex end,
            case when birth_differs
                 then '名册出生日期为' || left(strftime(birth_date, '%Y-%m-%d'), birth_chars) || '，身份证号显示为'
                      || left(strftime(id_birth_date, '%Y-%m-%d'), birth_chars) end
        ) || '，请核对户口簿后更正' as detail,
        concat_ws('|', sex, birth_date) as evidence_key
    from roster
    where id_number is not null
      and ((sex is not null and sex <> id_sex) or birth_differs)
)
select * from final
