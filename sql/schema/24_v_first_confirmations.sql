-- v_first_confirmations: for each case whose effective decision is 属实, its first 属实 — the
-- month of the sheet, who, when, which file.  Escalation and timing count from this one, so a
-- village that confirms again every month does not reset the months paid since confirmation.
create or replace view v_first_confirmations as
select d.case_id,
       arg_min(d.month, d.decided_at) as confirmed_month,
       arg_min(d.decided_by, d.decided_at) as confirmed_by,
       min(d.decided_at) as confirmed_at,
       arg_min(d.source_file, d.decided_at) as confirmed_file
from decisions d
join v_effective_decisions v on v.case_id = d.case_id and v.result = '属实'
where d.result = '属实'
group by d.case_id;
