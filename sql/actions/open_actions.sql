-- open_actions: a 停发 or 调整 action for every confirmed (属实) finding that changes a payment
-- and has no action yet.  One row per household action: 停发 of one person (death, duplicate,
-- move-out) or of the household (渐退期满); 调整 of the household's 保障人数, whose new amount is
-- the new 保障人数 × 低保标准.  The person is taken as listed on the roster of the month
-- the village answered on; the change takes effect the month after that answer.
-- Inputs: v_effective_decisions, cases, payment_rules, roster_months, actions.
-- Parameters: $month, $dibao_standard.
insert into actions
with confirmed as (
    select d.case_id, c.rule, c.person_key, d.decided_month, p.action, p.reason_zh, p.scope
    from v_effective_decisions d
    join cases c using (case_id)
    join payment_rules p using (rule)
    where d.result = '属实' and d.decided_month <= $month
),
listed as (
    select c.*, r.month as roster_month, r.township, r.village, r.household_id, r.head_name, r.name,
           r.id_number, r.id_number_raw, r.benefit_type, r.household_size, r.monthly_amount
    from confirmed c
    join roster_months r on r.person_key = c.person_key and r.month <= c.decided_month
    qualify row_number() over (partition by c.case_id order by r.month desc) = 1
),
households as (
    select month, township, household_id, count(*) as members, sum(monthly_amount) as amount
    from roster_months group by all
),
stopped_people as (   -- members whose own benefit stops, per household as listed
    select roster_month, township, household_id, count(distinct person_key) as stopped
    from listed where scope = 'person' and action = '停发' group by all
),
grouped as (
    select
        l.action as kind, l.action_key,
        any_value(l.township) as township, any_value(l.village) as village,
        any_value(l.household_id) as household_id, any_value(l.head_name) as head_name,
        case when any_value(l.scope) = 'person' then any_value(l.person_key) end as person_key,
        any_value(l.name) as name, any_value(coalesce(l.id_number, l.id_number_raw)) as id_number,
        any_value(l.benefit_type) as benefit_type,
        any_value(l.scope) as scope,
        any_value(l.roster_month) as roster_month,
        any_value(l.household_size) as household_size,
        any_value(l.monthly_amount) as person_amount,
        min(l.decided_month) as decided_month,
        string_agg(distinct l.reason_zh, '；') as reason,
        string_agg(l.case_id, '、' order by l.case_id) as case_ids
    from (
        select *, case when scope = 'person' then person_key
                       else concat_ws('|', township, household_id) end as action_key
        from listed
    ) l
    group by l.action, l.action_key
),
final as (
    select
        'A' || lpad(cast(nextval('action_seq') as varchar), 6, '0') as action_id,
        g.kind, g.action_key, g.township, g.village, g.household_id, g.head_name, g.person_key,
        g.name, g.id_number, g.benefit_type,
        g.household_size as current_size,
        case when g.kind = '调整' then h.members - coalesce(s.stopped, 0)
             when g.scope = 'household' then 0
             else greatest(g.household_size - 1, 0) end as new_size,
        case when g.scope = 'person' then g.person_amount else h.amount end as current_amount,
        case when g.kind = '调整' then (h.members - coalesce(s.stopped, 0)) * $dibao_standard
             else 0 end as new_amount,
        strftime(strptime(g.decided_month, '%Y-%m') + interval 1 month, '%Y-%m') as from_month,
        g.reason, g.case_ids, $month as created_month, cast(null as varchar) as done_month
    from grouped g
    left join households h on h.month = g.roster_month and h.township = g.township
                          and h.household_id = g.household_id
    left join stopped_people s on s.roster_month = g.roster_month and s.township = g.township
                              and s.household_id = g.household_id
    where (g.kind, g.action_key) not in (select (kind, action_key) from actions)
    order by g.township, g.village, g.household_id, g.kind, g.action_key
)
select * from final;
