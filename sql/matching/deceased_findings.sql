-- deceased_findings: the month's death findings (DECEASED_PAID, DECEASED_SUSPECT) by household and
-- name, to compare with the generator's truth.csv when a fitted model is checked
-- (flows/matching/model.py check_model, on a generated township only).
-- Inputs: exceptions.  Parameters: $month.
select rule, household_id, name
from exceptions
where month = $month and rule in ('DECEASED_PAID', 'DECEASED_SUSPECT')
