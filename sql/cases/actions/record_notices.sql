-- record_notices: the month's notices are issued — every action written on this month's
-- 告知书 without an issue month gets this month and today's date.  Run after the notices
-- are written, in the same working copy, so a failed step records nothing.
-- Inputs: actions.  Parameters: $month, $today.
update actions set notice_month = $month, notice_date = $today
where notice_month is null and done_month is null and created_month <= $month
  and (stop_count is not null or created_month = $month);
