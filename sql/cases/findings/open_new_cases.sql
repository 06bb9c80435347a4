-- open_new_cases: give every (rule, person) found this month for the first time a case.
-- case_id is an opaque number (C000123) printed on village sheets as 核查编号.
-- Inputs: rule_hits, stg_subjects, cases.  Parameters: $month.
insert into cases (case_id, rule, person_key, first_seen_month, last_seen_month, status, evidence_key)
select
    'C' || lpad(cast(nextval('case_seq') as varchar), 6, '0'),
    found.rule, found.person_key, $month, $month, 'new', found.evidence_key
from (
    select distinct on (h.rule, r.person_key) h.rule, r.person_key, h.evidence_key
    from rule_hits h join stg_subjects r using (subject_id)
    order by h.rule, r.person_key, h.subject_id
) found
anti join cases using (rule, person_key)
order by found.rule, found.person_key;
