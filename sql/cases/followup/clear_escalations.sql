-- clear_escalations: a re-run of a month recomputes its escalations.
-- Inputs: escalations.  Parameters: $month.
delete from escalations where month = $month;
