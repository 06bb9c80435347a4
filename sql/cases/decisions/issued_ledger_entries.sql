-- issued_ledger_entries: the 台账编号 of a village's 附件1-3 ledger of one household type —
-- a returned ledger may answer only these.
-- Inputs: ledger_entries, stg_poverty.  Parameters: $township, $village, $household_type.
select e.ledger_id
from ledger_entries e join stg_poverty p using (person_key)
where p.township = $township and p.village = $village and p.household_type = $household_type
