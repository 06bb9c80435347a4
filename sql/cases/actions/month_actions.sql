-- month_actions: the 停发/调整 list of a month — actions open at that month, and those marked
-- done in it (with the month they took effect).  One row per household action.
-- Inputs: actions.  Parameters: $month.
select *
from actions
where created_month <= $month and (done_month is null or done_month >= $month)
order by township, village, household_id, kind desc, action_id;
