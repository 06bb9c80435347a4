-- chase_confirmed_paid: cases confirmed (属实) on an earlier month's sheet and still found in
-- $month — the person is still on the roster and paid.  One row per case, most money first.
-- Read-only; used by flows/review.py.  Inputs: exceptions, cases, v_effective_decisions.
-- Parameters: $month.
select e.township, e.village, e.case_id, e.rule, e.household_id, e.name, e.id_number, e.id_number_raw,
       d.decided_month as confirmed_month, e.months_overpaid, e.amount_overpaid
from exceptions e
join cases c using (case_id)
join v_effective_decisions d using (case_id)
where e.month = $month and c.status = 'confirmed' and d.result = '属实' and d.decided_month < $month
order by e.amount_overpaid desc nulls last, e.township, e.village, e.case_id
