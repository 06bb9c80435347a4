-- v_open_cases: cases still needing attention (new, open, confirmed but not yet resolved, disputed),
-- with their latest finding and latest decision.  One row per case.
create or replace view v_open_cases as
with latest_finding as (
    select * from exceptions
    qualify row_number() over (partition by case_id order by month desc) = 1
),
latest as (
    select case_id, result as last_result, remark as last_remark, decided_at as last_decided_at
    from latest_decision('9999-12')
)
select
    c.case_id, c.rule, c.status, c.first_seen_month, c.last_seen_month,
    (year(strptime(c.last_seen_month, '%Y-%m')) * 12 + month(strptime(c.last_seen_month, '%Y-%m')))
      - (year(strptime(c.first_seen_month, '%Y-%m')) * 12 + month(strptime(c.first_seen_month, '%Y-%m'))) + 1
      as months_open,
    f.severity, f.township, f.village, f.household_id, f.name, f.id_number, f.score,
    f.death_date, f.months_overpaid, f.amount_overpaid, f.detail,
    d.last_result, d.last_remark, d.last_decided_at
from cases c
join latest_finding f using (case_id)
left join latest d using (case_id)
where c.status in ('new', 'open', 'confirmed', 'disputed');
