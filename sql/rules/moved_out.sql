-- rule: MOVED_OUT
-- name_zh: 户籍已迁出
-- severity: medium
-- family: 家庭变动
-- order: 80
-- payment: stop person
-- payment_reason: 经核实户籍已迁出
-- annex4: stopped_amount
-- guidance: 户籍人口库显示该对象户籍已迁出。请核实是否仍在本地生活；不再符合条件的由镇民政办按规定停发或办理转移。
--
-- MOVED_OUT 户籍已迁出
-- One row per roster member whose population records say 迁出 with a 变动日期 on or
-- before the last day of the run month, and that has no record that is still 正常.
-- Policy: 低保按户籍地申请（《最低生活保障审核确认办法》 第九条）; a household that moved
-- its 户籍 away must be transferred or stopped.
-- Inputs: stg_roster, stg_population.  Parameters: $month_end.
with moves as (
    select id_number, min(change_date) as moved_on, any_value(name) as registry_name,
           any_value(source_label) as source_label
    from stg_population
    where status = '迁出' and coalesce(change_date, $month_end) <= $month_end and id_number is not null
    group by id_number
),
still_here as (
    select distinct id_number from stg_population where status = '正常' and id_number is not null
),
final as (
    select
        'MOVED_OUT' as rule,
        r.member_key,
        m.source_label as matched_source,
        m.registry_name as matched_name,
        m.id_number as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        '户籍人口库显示已于' || coalesce(strftime(m.moved_on, '%Y-%m-%d'), '（日期不详）')
            || '迁出，请核实是否仍在本地居住，应办理转移或停发' as detail,
        coalesce(cast(m.moved_on as varchar), 'undated') as evidence_key
    from stg_roster r
    join moves m using (id_number)
    anti join still_here s using (id_number)
)
select * from final
