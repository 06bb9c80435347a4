-- update_seen_cases: cases found again this month.
-- A case decided 不属实 (false_positive) stays dismissed while its evidence is the same;
-- when the evidence changes (another death date, another source) it is opened again.
-- A resolved case that reappears in a later month is open again.  confirmed stays
-- confirmed; disputed stays disputed until the township decides.  Re-running a month keeps the decisions made on that month's sheets.
-- Inputs: rule_hits, stg_subjects, cases.  Parameters: $month.
update cases
set last_seen_month = greatest(cases.last_seen_month, $month),
    status = case
        when cases.status = 'false_positive' and cases.evidence_key is not distinct from found.evidence_key
            then 'false_positive'
        when cases.status = 'confirmed' then 'confirmed'
        -- a village's denial of registry evidence awaits the township, whatever the evidence does
        when cases.status = 'disputed' then 'disputed'
        -- 已处理 on this month's sheet survives a re-run of the same month
        when cases.status = 'resolved' and cases.last_seen_month >= $month then 'resolved'
        when cases.first_seen_month = $month then 'new'
        else 'open' end,
    evidence_key = found.evidence_key
from (
    select distinct on (h.rule, r.person_key) h.rule, r.person_key, h.evidence_key
    from rule_hits h join stg_subjects r using (subject_id)
    order by h.rule, r.person_key, h.subject_id
) found
where cases.rule = found.rule and cases.person_key = found.person_key;
