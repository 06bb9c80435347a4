-- escalate_severity: an escalated case is high severity, whatever its rule.
-- Inputs: exceptions, escalations.  Parameters: $month.
update exceptions set severity = 'high'
where month = $month and case_id in (select case_id from escalations where month = $month);
