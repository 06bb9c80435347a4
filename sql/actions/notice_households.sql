-- notice_households: the changes a written notice (告知书) tells a household about — the month's
-- 停发 actions and 调整 actions that lower the amount, not yet carried out or created this month.
-- One row per action; the notice writer puts each household's rows on one page.
-- Inputs: actions.  Parameters: $month.
select *
from actions
where created_month <= $month
  and (done_month is null or created_month = $month)
  and (kind = '停发' or new_amount < current_amount)
order by township, village, household_id, kind desc, action_id;
