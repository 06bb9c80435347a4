-- open_conflicts: unsettled conflicting answers, for the township's 督办清单 workbook.
-- Inputs: decision_conflicts, exceptions.  Parameters: none.
select c.case_id, c.month, c.result_a, c.file_a, c.result_b, c.file_b, c.found_at, e.township, e.village
from decision_conflicts c
join (select case_id, arg_max(township, month) as township, arg_max(village, month) as village
      from exceptions group by case_id) e using (case_id)
where c.settled_at is null
order by e.township, e.village, c.case_id, c.found_at;
