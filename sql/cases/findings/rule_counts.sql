-- rule_counts: the month's exceptions counted by rule (the console's table, run.json's counts).
-- Inputs: exceptions.  Parameters: $month.
select rule, count(*) from exceptions where month = $month group by rule
