-- death_ids: deaths recorded by the county's own police and cremation sources (kind
-- "deaths"; 计生 is left out: it describes the county's own residents), for the
-- cross-county DECEASED_PAID check.  One row per record with a valid ID: source label,
-- ID (hashed before it leaves the county) and death date.
-- Inputs: norm_deaths (the latest run's).
select source_label as source, id_number,
       coalesce(death_date, deregistration_date, cremation_date) as death_date
from norm_deaths
where id_number is not null
