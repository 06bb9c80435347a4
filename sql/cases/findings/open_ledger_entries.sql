-- open_ledger_entries: give every person newly on the poverty registry a 台账编号.
-- Inputs: stg_poverty, ledger_entries.  Parameters: $month.
insert into ledger_entries (ledger_id, person_key, first_seen_month)
select 'L' || lpad(cast(nextval('ledger_seq') as varchar), 6, '0'), person_key, $month
from (
    select distinct person_key from stg_poverty
    anti join ledger_entries using (person_key)
    order by person_key
) new_people;
