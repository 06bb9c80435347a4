-- rule: GRADUAL_EXIT_OVERDUE
-- name_zh: 渐退期满仍发放
-- severity: high
-- family: 家庭变动
-- order: 100
-- payment: stop household
-- payment_reason: 渐退期已满
-- annex4: stopped_amount
-- guidance: 渐退期已满6个月仍在发放。请核实是否已办理退出；期满的由镇民政办停发。
--
-- GRADUAL_EXIT_OVERDUE 渐退期满仍发放
-- One row per household (shown on the 户主's row) whose 渐退起始年月 is more than
-- $gradual_exit_months (default 6) months before the run month while the household
-- is still on the roster, i.e. still paid.
-- Policy: 《最低生活保障审核确认办法》 第三十条 收入超标的可给予一定时间的渐退期
-- (重庆: 渐退期 6 个月); after it the benefit must stop.
-- Inputs: stg_households.  Parameters: $month_index, $gradual_exit_months.
with households as (
    select *, $month_index - (year(gradual_exit_month) * 12 + month(gradual_exit_month)) as months_in_exit
    from stg_households
    where gradual_exit_month is not null
),
final as (
    select
        'GRADUAL_EXIT_OVERDUE' as rule,
        head_member_key as member_key,
        '名册' as matched_source,
        cast(null as varchar) as matched_name,
        cast(null as varchar) as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        concat('渐退起始于', strftime(gradual_exit_month, '%Y年%m月'), '，已满', months_in_exit,
               '个月（渐退期', $gradual_exit_months, '个月），应停止发放') as detail,
        cast(gradual_exit_month as varchar) as evidence_key
    from households
    where months_in_exit > $gradual_exit_months
)
select * from final
