-- reopen_conflicted: a case with an unsettled conflict is open (neither answer taken).
-- Inputs: cases, decision_conflicts.  Parameters: none.
update cases set status = 'open'
where case_id in (select case_id from decision_conflicts where settled_at is null);
