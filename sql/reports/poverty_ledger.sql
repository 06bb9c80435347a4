-- poverty_ledger: the rows of the 附件1-3 ledgers, one per person on the poverty registry,
-- prefilled with everything the data know, and the village's latest earlier answer.
-- Inputs: stg_poverty, ledger_entries, ledger_answers.  Parameters: $month.
with latest_answer as (
    select ledger_id, include as previous_include, reason as previous_reason
    from latest_ledger_answer($month)
)
select
    e.ledger_id, p.household_type, p.township, p.village, p.name, p.id_number, p.id_number_raw,
    p.household_size, p.relation, p.health, p.poverty_cause, p.income_monthly,
    p.current_assistance, p.phone, a.previous_include, a.previous_reason
from stg_poverty p
join ledger_entries e using (person_key)
left join latest_answer a using (ledger_id)
order by p.township, p.village, p.file, p.sheet, p.row_number
