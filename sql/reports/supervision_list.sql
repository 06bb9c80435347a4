-- supervision_list: the township 督办清单 — one row per escalated case of the month, longest
-- paid since confirmation (or longest unanswered) first.
-- Inputs: escalations, exceptions, rule_catalogue.  Parameters: $month.
select e.township, e.village, x.case_id, e.household_id, e.head_name, e.name, e.id_number, e.id_number_raw,
       r.name_zh as rule_name, x.kind, x.confirmed_month, x.confirmed_by, x.confirmed_at, x.confirmed_file,
       x.confirmed_result, x.months_since, e.detail
from escalations x
join exceptions e on e.case_id = x.case_id and e.month = x.month
join rule_catalogue r on r.code = e.rule
where x.month = $month
order by e.township, x.months_since desc, e.village, e.household_id, x.case_id;
