-- record_deliveries: this run's rows per source and township (roster: and village).
-- Registries carry no township column; it is read from 户籍地址 (…区XX镇/乡/街道…).
-- Inputs: stg_roster, stg_population, stg_death_evidence.  Parameters: $run_id, $month.
insert into source_deliveries
with registry_rows as (
    select source, coalesce(nullif(regexp_extract(address, '([^省市区县]{1,8}(镇|乡|街道))', 1), ''), '（地址无乡镇）') as township
    from norm_deaths
    union all
    select source, coalesce(nullif(regexp_extract(address, '([^省市区县]{1,8}(镇|乡|街道))', 1), ''), '（地址无乡镇）')
    from norm_population
)
select $run_id, $month, source, township, null, count(*) from registry_rows group by source, township
union all
select $run_id, $month, source, township, village, count(*) from stg_roster group by source, township, village;
