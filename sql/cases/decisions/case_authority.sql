-- case_authority: what the office needs to know before deciding a case — its rule, status, the
-- month it was last found, and whether its registry evidence outranks a village's denial.
-- Inputs: cases, exceptions.  Parameters: $case_id.
select c.case_id, c.rule, c.status, c.last_seen_month,
       coalesce(arg_max(e.registry_certain, e.month), false) as registry_certain
from cases c
left join exceptions e using (case_id)
where c.case_id = $case_id
group by all;
