-- roster_ids: the county's roster members with a valid ID, for the cross-county checks.
-- One row per roster row: member_key (this run's opaque row number, the case reference
-- that crosses county lines) and the normalised ID, which flows/counties/county.py turns
-- into a keyed hash before anything leaves the county.  Names never leave.
-- Inputs: stg_roster (the latest run's).
select member_key, id_number
from stg_roster
where id_number is not null
order by member_key
