-- clear_roster_month: a re-run of a month replaces its roster snapshot.
-- Inputs: roster_months.  Parameters: $month.
delete from roster_months where month = $month;
