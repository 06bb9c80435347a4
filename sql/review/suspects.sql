-- suspects: $month's suspected deaths with the roster and the death record side by side,
-- best score first, at most $n; dismissed cases only when $include_dismissed.
-- Read-only; used by flows/review.py and the review notebook.
with latest as (
    select case_id, result as last_result, remark as last_remark from latest_decision('9999-12')
)
select e.case_id, e.township, e.village, e.household_id, e.name, e.matched_name,
       e.id_number, e.id_number_raw, e.matched_id_number, e.death_date, e.matched_source, e.score,
       e.months_overpaid, e.amount_overpaid, c.status as case_status, c.first_seen_month,
       d.last_result, d.last_remark, e.detail
from exceptions e
join cases c using (case_id)
left join latest d using (case_id)
where e.month = $month and e.rule = 'DECEASED_SUSPECT'
  and ($include_dismissed or c.status <> 'false_positive')
order by e.score desc nulls last, e.amount_overpaid desc nulls last, e.case_id
limit $n
