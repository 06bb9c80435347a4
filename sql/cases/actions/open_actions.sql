-- open_actions: one 停发/调整 action per household for the confirmed (属实) findings of the month
-- that change a payment and rest in no action yet.  One row = one household's change: which
-- listed members stop (name, id_number, person_key: 、-separated), the current and new 保障人数,
-- the current monthly amount (the household's listed 个人月保障金额 summed) and the new one.
--   停发: no member remains (every member stops, or the household's 渐退期 is over);
--   调整: some members stop, or the household's size alone changed.
-- The new amount is the remaining members' own listed amounts: never above the current one.
-- It is NULL with amount_note 需重新核定 when a member's own amount is missing (the roster
-- carries only a household amount) or when no member stops (a size change alone: the office
-- re-assesses; an action never raises a payment by itself).  A death and the household-size
-- finding it caused are one row.  Members stopped by an earlier action not yet carried out are
-- counted out of the remaining ones, so two actions never restore each other's stops.
-- A finding whose payment scope is a listing (重复享受) stops only the listing the village chose
-- 停发此处 (one case per listing).
-- The household is taken as listed on the roster of the month the village answered on; the
-- change takes effect the month after that answer.  The addressee of the 告知书 is a member
-- who remains: the 户主, else 配偶, 子女, other members; 家属/代领人 when none remains.  A member
-- a death record names (a DECEASED_PAID or DECEASED_SUSPECT case not refuted: still open,
-- confirmed or disputed) is never the addressee, even before the death is confirmed.
-- Policy: 《最低生活保障审核确认办法》第三十一条 (家庭人口状况发生变化的应及时调整保障金额).
-- Inputs: v_effective_decisions, cases, payment_rules, roster_months, actions.
-- Parameters: $month.
insert into actions by name
with covered as (   -- cases some action already rests on
    select distinct unnest(string_split(case_ids, '、')) as case_id from actions
),
confirmed as (
    select d.case_id, c.rule, c.person_key, d.decided_month, p.action, p.reason_zh, p.scope
    from v_effective_decisions d
    join cases c using (case_id)
    join payment_rules p using (rule)
    where d.result = '属实' and d.decided_month <= $month
      and (p.scope <> 'listing' or d.choice is not distinct from '停发此处')
      and d.case_id not in (select case_id from covered)
),
listed as (   -- each case's person as listed on the roster of the month answered on
    select c.*, r.month as roster_month, r.township, r.household_id
    from confirmed c
    join roster_months r on r.person_key = c.person_key and r.month <= c.decided_month
    qualify row_number() over (partition by c.case_id order by r.month desc) = 1
),
households as (
    select township, household_id,
           max(roster_month) as roster_month,
           min(decided_month) as decided_month,
           bool_or(scope = 'household' and action = '停发') as whole_household,
           string_agg(distinct reason_zh, '；' order by reason_zh) as reason,
           string_agg(case_id, '、' order by case_id) as case_ids,
           min(case_id) as first_case
    from listed
    group by township, household_id
),
stopping as (   -- members whose own benefit stops now
    select distinct township, household_id, person_key
    from listed where scope in ('person', 'listing') and action = '停发'
),
reported_dead as (   -- members a death record names, the case not refuted
    select distinct person_key from cases
    where rule in ('DECEASED_PAID', 'DECEASED_SUSPECT') and status in ('new', 'open', 'confirmed', 'disputed')
),
pending as (    -- members stopped by an earlier action that is not carried out yet
    select distinct unnest(string_split(person_key, '、')) as person_key
    from actions where done_month is null and person_key is not null
),
members as (
    select h.*, r.person_key, r.village, r.head_name, r.name, r.relation, r.benefit_type,
           coalesce(r.id_number, r.id_number_raw) as id_number,
           coalesce(r.household_size, 0) as declared_size, r.monthly_amount,
           h.whole_household or s.person_key is not null as stops,
           p.person_key is not null as stopped_before,
           d.person_key is not null as reported_dead,
           case r.relation when '户主' then '0' when '本人' then '0' when '配偶' then '1'
                           when '子女' then '2' else '3' end || r.person_key as addressee_rank
    from households h
    join roster_months r on r.month = h.roster_month and r.township = h.township
                        and r.household_id = h.household_id
    left join stopping s on s.township = h.township and s.household_id = h.household_id
                        and s.person_key = r.person_key
    left join pending p on p.person_key = r.person_key
    left join reported_dead d on d.person_key = r.person_key
),
summed as (
    select township, household_id,
           any_value(village) as village, any_value(head_name) as head_name,
           string_agg(distinct benefit_type, '、' order by benefit_type) as benefit_type,
           any_value(decided_month) as decided_month, any_value(reason) as reason,
           any_value(case_ids) as case_ids, any_value(first_case) as first_case,
           nullif(max(declared_size), 0) as declared,
           count(*) as listed_members,
           sum(monthly_amount) as current_amount,
           bool_or(monthly_amount is null) as amount_missing,
           count(*) filter (where stops) as stop_count,
           count(*) filter (where not stops and not stopped_before) as remaining,
           coalesce(sum(monthly_amount) filter (where not stops and not stopped_before), 0) as remaining_amount,
           string_agg(name, '、' order by addressee_rank) filter (where stops) as names,
           string_agg(id_number, '、' order by addressee_rank) filter (where stops) as id_numbers,
           string_agg(person_key, '、' order by addressee_rank) filter (where stops) as person_keys,
           arg_min(name, addressee_rank) filter (where not stops and not stopped_before and not reported_dead)
               as addressee
    from members
    group by township, household_id
),
numbered as (   -- action ids follow the households' order, so a rerun numbers them alike
    select *, row_number() over (order by township, village, household_id, first_case) as n
    from summed
),
final as (
    select
        'A' || lpad(cast((select coalesce(max(cast(substr(action_id, 2) as bigint)), 0) from actions) + n
                         as varchar), 6, '0') as action_id,
        case when remaining = 0 then '停发' else '调整' end as kind,
        concat_ws('|', township, household_id, $month, first_case) as action_key,
        township, village, household_id, head_name,
        person_keys as person_key, names as name, id_numbers as id_number, benefit_type,
        coalesce(declared, listed_members) as current_size,
        remaining as new_size,
        current_amount,
        case when remaining = 0 then 0
             when stop_count = 0 or amount_missing then null
             else least(remaining_amount, current_amount) end as new_amount,
        case when remaining > 0 and (stop_count = 0 or amount_missing) then '需重新核定' end as amount_note,
        strftime(strptime(decided_month, '%Y-%m') + interval 1 month, '%Y-%m') as from_month,
        reason, case_ids, $month as created_month, cast(null as varchar) as done_month,
        stop_count, coalesce(addressee, '家属/代领人') as addressee
    from numbered
    order by n
)
select * from final;
