-- month_exceptions: this run's findings as exceptions.csv rows (SPEC §5 column order)
-- with their case and the facts village sheets need (户主姓名, 救助类型).
-- Inputs: rule_hits, stg_subjects, cases, rule_catalogue.  Parameters: $month, $run_id.
with final as (
    select
        $month as month,
        $run_id as run_id,
        c.case_id,
        h.rule,
        cat.severity,
        r.township,
        r.village,
        r.household_id,
        r.name,
        r.id_number,
        r.id_number_raw,
        h.matched_source,
        h.matched_name,
        h.matched_id_number,
        h.death_date,
        h.death_date_precision,
        h.score,
        h.months_overpaid,
        h.amount_overpaid,
        h.detail,
        h.evidence_key,
        h.evidence_pattern,
        h.match_levels,
        r.head_name,
        r.benefit_type,
        cat.position as rule_order
    from rule_hits h
    join stg_subjects r using (subject_id)
    join cases c on c.rule = h.rule and c.person_key = r.person_key
    join rule_catalogue cat on cat.code = h.rule
)
select * exclude (rule_order) from final
order by township, village, rule_order, household_id, name
