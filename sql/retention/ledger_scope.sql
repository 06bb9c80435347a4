-- ledger_scope: after a run, stg_poverty keeps only what `dibao returns` needs to check a
-- returned 附件1-3 ledger (which 台账编号 belong to which village and household type):
-- person_key, township, village, household_type.  Names, ID numbers, health, income and
-- phone of the poverty registry are not kept beyond the run that read them.
-- Inputs: stg_poverty (as built by sql/staging/stg_poverty.sql).  Parameters: none.
create or replace table stg_poverty as
select distinct person_key, township, village, household_type
from stg_poverty;
