-- rule: UNCOVERED_VULNERABLE
-- name_zh: 应保未保（待核实）
-- severity: high
-- family: 应保未保
-- order: 110
-- guidance: 该人员有重病、重残或收入低于低保标准等情况，但目前没有享受低保或特困供养。请入户了解家庭情况，符合条件的指导申请，做到应保尽保。
--
-- UNCOVERED_VULNERABLE 应保未保（待核实）
-- One row per person on the poverty registry (未脱贫建档立卡, 边缘户, 脱贫监测户) who receives
-- no assistance (目前享受救助类型 = 无) and either is seriously ill or severely disabled
-- (健康状况 mentions 重病, 重残 or 重度), or whose household's 人均月纯收入 is below the 低保标准.
-- Policy: 确保贫困人口兜底保障不漏一户、不落一人；重点查找纠正 … 重病患者、重度残疾人 (notice).
-- These are candidates for inclusion for the village to assess, not decisions.
-- Inputs: stg_poverty.  Parameters: $dibao_standard.
with candidates as (
    select *,
        coalesce(regexp_matches(health, '重病|重残|重度|大病|瘫痪'), false) as serious_health,
        coalesce(income_monthly < $dibao_standard, false) as low_income
    from stg_poverty
    where current_assistance = '无'
),
final as (
    select
        'UNCOVERED_VULNERABLE' as rule,
        cast(null as bigint) as member_key,
        poverty_key,
        household_type as matched_source,
        cast(null as varchar) as matched_name,
        cast(null as varchar) as matched_id_number,
        cast(null as date) as death_date,
        cast(null as double) as score,
        cast(null as integer) as months_overpaid,
        cast(null as decimal(14, 2)) as amount_overpaid,
        concat(household_type, '，目前未享受低保、特困或临时救助；',
               concat_ws('，',
                   case when serious_health then '健康状况为' || health end,
                   case when low_income then '家庭人均月纯收入' || cast(income_monthly as decimal(10, 2))
                        || '元，低于低保标准' || cast($dibao_standard as integer) || '元' end),
               '；请入户核实是否符合低保或特困条件') as detail,
        concat_ws('|', household_type, serious_health, low_income) as evidence_key
    from candidates
    where serious_health or low_income
)
select * from final
