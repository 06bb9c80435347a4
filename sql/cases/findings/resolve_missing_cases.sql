-- resolve_missing_cases: a case not found in this month's data is resolved
-- automatically (the household was adjusted, the ID corrected, the record removed).
-- Only cases last seen before this month are touched, so re-running an earlier month
-- never resolves what a later month found.
-- Inputs: rule_hits, stg_subjects, cases.  Parameters: $month.
update cases
set status = 'resolved'
where status <> 'resolved'
  and last_seen_month < $month
  and (rule, person_key) not in (
      select (h.rule, r.person_key) from rule_hits h join stg_subjects r using (subject_id)
  );
