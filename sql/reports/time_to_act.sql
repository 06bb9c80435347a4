-- time_to_act: how long it took, for every death found up to $month — months from the death
-- to the first finding, from the finding to the first confirmation (属实, by the month of the
-- sheet answered), and from the confirmation to the payment stopping (the done month of the action that stops the person) —
-- averaged per village and per township (village NULL).  A step not reached yet is left out
-- of its average and counted as waiting.  This is the figure a district asks a township for.
-- Inputs: cases, exceptions, v_first_confirmations, v_effective_decisions, actions.  Parameters: $month.
with deaths as (
    select c.case_id, c.person_key, c.first_seen_month,
           arg_min(e.township, e.month) as township, arg_min(e.village, e.month) as village,
           arg_min(e.death_date, e.month) as death_date
    from cases c join exceptions e using (case_id)
    where c.rule in ('DECEASED_PAID', 'DECEASED_SUSPECT') and c.first_seen_month <= $month and e.month <= $month
    group by c.case_id, c.person_key, c.first_seen_month
),
steps as (
    select d.*, v.confirmed_month, a.done_month as stopped_month
    from deaths d
    left join v_first_confirmations v on v.case_id = d.case_id and v.confirmed_month <= $month
    left join actions a on list_contains(string_split(a.person_key, '、'), d.person_key) and a.done_month <= $month
    where d.death_date is not null and (v.case_id is not null or d.case_id not in (
        select case_id from v_effective_decisions where result = '不属实'))
),
months as (
    select *,
        (cast(substr(first_seen_month, 1, 4) as integer) * 12 + cast(substr(first_seen_month, 6, 2) as integer))
            - (year(death_date) * 12 + month(death_date)) as death_to_finding,
        (cast(substr(confirmed_month, 1, 4) as integer) * 12 + cast(substr(confirmed_month, 6, 2) as integer))
            - (cast(substr(first_seen_month, 1, 4) as integer) * 12 + cast(substr(first_seen_month, 6, 2) as integer))
            as finding_to_confirmation,
        (cast(substr(stopped_month, 1, 4) as integer) * 12 + cast(substr(stopped_month, 6, 2) as integer))
            - (cast(substr(confirmed_month, 1, 4) as integer) * 12 + cast(substr(confirmed_month, 6, 2) as integer))
            as confirmation_to_stop
    from steps
)
select township, village,
       count(*) as deaths,
       round(avg(death_to_finding), 1) as death_to_finding,
       round(avg(finding_to_confirmation), 1) as finding_to_confirmation,
       round(avg(confirmation_to_stop), 1) as confirmation_to_stop,
       count(*) filter (where confirmed_month is null) as awaiting_confirmation,
       count(*) filter (where confirmed_month is not null and stopped_month is null) as awaiting_stop
from months
group by grouping sets ((township, village), (township))
order by township, village nulls last;
