-- returned_events: amounts already recorded from returned sheets (case, amount, date), so the
-- same amount from another copy of a sheet is recognised as recorded, not checked twice.
-- Inputs: recovery_events.
select case_id, amount, event_date from recovery_events where source_file is not null;
