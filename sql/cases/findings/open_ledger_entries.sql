-- open_ledger_entries: give every person newly on the poverty registry a 台账编号.
-- Numbers follow the people's order after the highest number given so far, so a rerun of
-- the same month numbers them alike (a sequence drawn in a parallel select did not).
-- Inputs: stg_poverty, ledger_entries.  Parameters: $month.
insert into ledger_entries (ledger_id, person_key, first_seen_month)
select 'L' || lpad(cast((select coalesce(max(cast(substr(ledger_id, 2) as bigint)), 0) from ledger_entries) + n
                        as varchar), 6, '0'),
       person_key, $month
from (
    select person_key, row_number() over (order by person_key) as n
    from (select distinct person_key from stg_poverty anti join ledger_entries using (person_key))
) new_people;
