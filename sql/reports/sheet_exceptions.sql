-- sheet_exceptions: month $month's exceptions in SPEC order (exceptions.csv and the village
-- sheets read them), with the rule's Chinese name, each case's status and the latest
-- 核实结果 on the case from sheets up to $month with the month of the sheet it was given on
-- (shown as 上次核实：属实（2020-05）).
-- Inputs: exceptions, rule_catalogue, cases, latest_decision(), decisions.  Parameters: $month.
select e.*, r.name_zh as rule_name, c.status as case_status, l.result as previous_result,
       m.previous_month
from exceptions e
join rule_catalogue r on r.code = e.rule
join cases c using (case_id)
left join latest_decision($month) l using (case_id)
left join (select case_id, arg_max(month, decided_at) as previous_month
           from decisions where month <= $month group by case_id) m using (case_id)
where e.month = $month
order by e.township, e.village, r.position, e.household_id, e.name
