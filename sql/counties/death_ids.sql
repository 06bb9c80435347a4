-- death_ids: deaths recorded by the county's own police and cremation sources (kind
-- "deaths"; 计生 is left out: it describes the county's own residents), for the
-- cross-county DECEASED_PAID check.  One row per record with a valid ID: source label,
-- ID (hashed before it leaves the county) and death date.
-- Inputs: stg_death_evidence (the latest run's; its norm_deaths rows are source_kind 'deaths',
-- death_date their death, deregistration or cremation date).
select source, id_number, death_date
from stg_death_evidence
where source_kind = 'deaths' and id_number is not null
order by evidence_id
