-- stg_subjects: everyone a rule can flag — roster members and people on the poverty
-- registry — under one key (subject_id: member_key, or −poverty_key) with the facts
-- every exception shows (户主姓名 and 救助类型 only for roster members).
-- Inputs: stg_roster, stg_poverty.
create or replace table stg_subjects as
select member_key as subject_id, person_key, township, village, household_id, name, id_number, id_number_raw,
       head_name, benefit_type
from stg_roster
union all
select -poverty_key, person_key, township, village, null, name, id_number, id_number_raw, null, null
from stg_poverty;
