-- stg_death_evidence: every record that says a person died, from every source.
-- Inputs: norm_deaths (公安死亡注销, 火化, and any other source of kind "deaths") and
-- norm_population_deaths: the population rows with 人员状态 = 死亡 (their 变动日期 is the death date).
-- One row per (source, record); a death reported by several sources appears once per
-- source, so rules can show all of them and count independent confirmations.
-- death_date_precision is 'day' or 'month' (a record that gives only 2019年10月: the date
-- is the 1st and only its month counts).  A birth date known only to the month is no
-- birth date for matching (it would agree with everyone born on the 1st): the ID's is used.
create or replace table stg_death_evidence as
with registry_deaths as (
    select
        source_label as source,
        file, sheet, row_number,
        name, name_key, name_pinyin, id_number, id_number_raw, id_clean, id_status, coalesce(sex, id_sex) as sex,
        coalesce(case when birth_date_precision = 'day' then birth_date end, id_birth_date) as birth_date,
        coalesce(death_date, deregistration_date, cremation_date) as death_date,
        case when death_date is not null then death_date_precision
             when deregistration_date is not null then deregistration_date_precision
             else cremation_date_precision end as death_date_precision,
        address,
        'deaths' as source_kind      -- a death registry (公安, 火化, …): its word outranks a village's
    from norm_deaths
),
population_deaths as (
    select
        source_label as source,
        file, sheet, row_number,
        name, name_key, name_pinyin, id_number, id_number_raw, id_clean, id_status, coalesce(sex, id_sex) as sex,
        coalesce(case when birth_date_precision = 'day' then birth_date end, id_birth_date) as birth_date,
        change_date as death_date,
        change_date_precision as death_date_precision,
        address,
        'population' as source_kind
    from norm_population_deaths
),
final as (
    select * from registry_deaths
    union all
    select * from population_deaths
)
select row_number() over (order by source, file, sheet, row_number) as evidence_id, * from final;
