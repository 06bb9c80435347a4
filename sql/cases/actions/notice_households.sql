-- notice_households: the actions whose 告知书 belongs to a month's papers — those not issued yet
-- (first issued now) and those first issued in this month (the same notice written again, e.g.
-- after more returns; a later printing says 补发 and the first date).  A notice is issued once:
-- an action of an earlier month that is still open is not told to the family again
-- (nor is a row of the earlier design, whose notice went out in its own month).
-- One row per household action = one notice.
-- Inputs: actions.  Parameters: $month.
select *
from actions
where created_month <= $month
  and (notice_month = $month or (notice_month is null and done_month is null
                                   and (stop_count is not null or created_month = $month)))
order by township, village, household_id, action_id;
