-- chase_conflicts: two different 核实结果 for one case, not yet settled (`dibao settle`).
-- One row per unsettled conflict, with the case's latest finding.
-- Read-only; used by flows/review.py.  Inputs: decision_conflicts, exceptions.  Parameters: none.
select e.township, e.village, c.case_id, e.rule, e.name, c.month,
       c.result_a, c.file_a, c.result_b, c.file_b, c.found_at
from decision_conflicts c
join (select case_id, arg_max(township, month) as township, arg_max(village, month) as village,
             arg_max(rule, month) as rule, arg_max(name, month) as name
      from exceptions group by case_id) e using (case_id)
where c.settled_at is null
order by e.township, e.village, c.case_id, c.found_at
