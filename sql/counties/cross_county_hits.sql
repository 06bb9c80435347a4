-- cross_county_hits: the city's findings for this county as rule_hits rows, so they go
-- into the county's exceptions, cases and workbooks like any other finding.
-- One row per (rule, roster member) found across counties, unless the county's own data
-- already flagged that member under the same rule this run (its own finding stands).
-- matched_source starts with 跨区县 so a re-application can replace them.
-- Inputs: cross_findings (the city's findings.parquet for this county: ref, rule,
-- other_counties, sources, death_date), stg_roster, rule_hits.
-- Parameters: $month_index (year*12 + month of M).
with findings as (
    select f.ref, f.rule, f.other_counties, cast(f.sources as varchar) as sources,
           cast(f.death_date as date) as death_date, r.id_number, r.monthly_amount
    from cross_findings f
    join stg_roster r on r.member_key = f.ref
),
months as (
    select *, $month_index - (year(death_date) * 12 + month(death_date)) as months_overpaid from findings
),
final as (
    select
        rule,
        ref as member_key,
        case when rule = 'DECEASED_PAID' then '跨区县' || sources else '跨区县名册' end as matched_source,
        cast(null as varchar) as matched_name,
        id_number as matched_id_number,
        death_date,
        case when rule = 'DECEASED_PAID' then 1.0 end as score,
        case when rule = 'DECEASED_PAID' then months_overpaid end as months_overpaid,
        case when rule = 'DECEASED_PAID' then months_overpaid * monthly_amount end as amount_overpaid,
        case when rule = 'DECEASED_PAID'
             then concat(other_counties, '的', sources, '数据显示死亡（跨区县，待核）：',
                         coalesce(strftime(death_date, '%Y-%m-%d'), '(无日期)'),
                         coalesce('；已多发' || months_overpaid || '个月', ''),
                         '；请与该区县核实后停发或减发')
             else concat('同一身份证号同时在', other_counties, '的低保/特困名册中（跨区县），',
                         '请与该区县核实后只保留一处')
        end as detail,
        concat_ws('|', '跨区县', other_counties, sources, death_date) as evidence_key
    from months
)
select * from final
anti join (select rule, member_key from rule_hits where matched_source not like '跨区县%') own
    using (rule, member_key)
