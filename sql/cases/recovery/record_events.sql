-- record_events: append recovery events (registered as _events), skipping one already recorded
-- from the same file for the same case, or the same amount and date for the same case from
-- another copy of a returned sheet.
-- Inputs: _events, recovery_events.  Parameters: none.
insert into recovery_events by name
select n.* from _events n
where not exists (
    select 1 from recovery_events o
    where o.case_id = n.case_id and n.file_sha256 is not null
      and (o.file_sha256 = n.file_sha256
           or (o.source_file is not null and o.amount = n.amount and o.event_date is not distinct from n.event_date))
);
