-- stg_death_evidence: every record that says a person died, from every source.
-- Inputs: norm_deaths (公安死亡注销, 火化, and any other source of kind "deaths") and
-- norm_population rows with 人员状态 = 死亡 (their 变动日期 is the death date).
-- One row per (source, record); a death reported by several sources appears once per
-- source, so rules can show all of them and count independent confirmations.
create or replace table stg_death_evidence as
with registry_deaths as (
    select
        source_label as source,
        file, sheet, row_number,
        name, name_pinyin, id_number, id_number_raw, id_clean, id_status,
        coalesce(birth_date, id_birth_date) as birth_date,
        coalesce(death_date, deregistration_date, cremation_date) as death_date,
        address
    from norm_deaths
),
population_deaths as (
    select
        source_label as source,
        file, sheet, row_number,
        name, name_pinyin, id_number, id_number_raw, id_clean, id_status,
        coalesce(birth_date, id_birth_date) as birth_date,
        change_date as death_date,
        address
    from norm_population
    where status = '死亡'
),
final as (
    select * from registry_deaths
    union all
    select * from population_deaths
)
select row_number() over (order by source, file, sheet, row_number) as evidence_id, * from final;
