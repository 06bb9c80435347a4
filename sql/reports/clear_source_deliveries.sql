-- clear_source_deliveries: the month's deliveries, cleared before this run records its own
-- (flows/health.py).  Parameters: $month.
delete from source_deliveries where month = $month
