-- clear_month: the month's exceptions, cleared before they are recorded again from rule_hits
-- (a rerun of the month, or a county's run after cross-county findings are added).
-- Parameters: $month.
delete from exceptions where month = $month
