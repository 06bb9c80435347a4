-- snapshot_roster: keep this month's roster (who is paid, how much) for later months.
-- One row per roster member.  Inputs: stg_roster.  Parameters: $month.
insert into roster_months
select $month, person_key, township, village, household_id, head_name, name, id_number, id_number_raw,
       relation, benefit_type, cast(household_size as integer), monthly_amount
from stg_roster;
