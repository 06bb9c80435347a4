-- clear_rejects: the month's rejects, cleared before this run records its own (a rerun of
-- the month replaces them).  Parameters: $month.
delete from rejects where month = $month
