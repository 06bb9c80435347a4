-- stg_poverty: people on the poverty registry (建档立卡/边缘户/监测户 名单), one row each,
-- with the assistance they already receive (目前享受救助类型):
--   特困 / 低保 — listed on the roster (matched by ID, else by township + village + name),
--   临时救助    — in a temporary-assistance source, if one is configured,
--   无          — none of these.
-- The match by name counts only for a person without an ID; that test is in CASE, not
-- in ON: DuckDB plans a left join whose ON tests the left side alone as a nested loop
-- (roster × registry: minutes at city scale).
-- Inputs: norm_poverty, norm_assistance, stg_roster.
create or replace table stg_poverty as
with registry as (
    select * from norm_poverty
),
by_id as (
    select id_number,
           bool_or(benefit_type like '%特困%') as tekun, bool_or(benefit_type like '%低保%') as dibao
    from stg_roster where id_number is not null group by id_number
),
by_name as (
    select township, village, name,
           bool_or(benefit_type like '%特困%') as tekun, bool_or(benefit_type like '%低保%') as dibao
    from stg_roster group by township, village, name
),
temporary_by_id as (
    select distinct id_number from norm_assistance where id_number is not null
),
final as (
    select
        row_number() over (order by registry.file, registry.sheet, registry.row_number) as poverty_key,
        concat_ws('|', registry.township, registry.village,
                  coalesce(registry.id_number, registry.name)) as person_key,
        case
            when coalesce(i.tekun, case when registry.id_number is null then n.tekun end) then '特困'
            when coalesce(i.dibao, case when registry.id_number is null then n.dibao end) then '低保'
            when t.id_number is not null then '临时救助'
            else '无' end as current_assistance,
        registry.*
    from registry
    left join by_id i on i.id_number = registry.id_number
    left join by_name n on n.township = registry.township and n.village = registry.village
                        and n.name = registry.name
    left join temporary_by_id t on t.id_number = registry.id_number
)
select * from final;
