-- township_summary: one row per township in the terms of the notice's 附件4
-- (城乡低保摸排处理汇总表).
--   households / persons   低保户数 / 低保人数: roster households and members on 城市/农村低保;
--   poverty_households     其中建卡贫困户兜底户数: 低保 households with a member on the poverty
--                          registry as 未脱贫建档立卡; NULL when no poverty registry was loaded;
--   adjust_amount          拟调整补差金额: monthly benefit (元) that stops — the findings whose rule
--                          declares `annex4: stopped_amount` (died, moved out: the member's; 渐退期
--                          over: the whole household's, as the rule's `payment` scope says);
--   include_households     拟整户纳入: households answered 是 (通过排查拟纳入救助) on returned
--                          附件1-3 ledgers, counted by their 户主's row (or the person when the
--                          registry gives no 户主), latest answer per person up to M;
--   complete_info          拟完善资料: people with a finding whose rule declares `annex4: complete_info`
--                          (the identity findings);
--   overpaid_total         多发金额 of confirmed deaths (`annex4: overpaid`: an exact-ID death record;
--                          `overpaid_confirmed`: a suspected death once the village confirmed it), for the 备注;
--   overpaid_suspected     多发金额 of `overpaid_confirmed` findings not yet confirmed (疑似, 待核实), stated apart.
-- Which rule counts where is each rule's header (flows/rules.py), read here from rule_catalogue.
-- A finding the village refuted (不属实, case false_positive, not reopened by new evidence) is out
-- of every count and amount; a disputed one still counts.
-- Inputs: stg_roster, stg_poverty, rule_hits, exceptions, cases, rule_catalogue, ledger_entries,
-- ledger_answers.  Parameters: $month.
with dibao as (
    select township, count(distinct household_id) as households, count(*) as persons
    from stg_roster
    where benefit_type like '%低保%'
    group by township
),
findings as (
    select e.*, c.annex4, s.status
    from exceptions e join rule_catalogue c on c.code = e.rule join cases s using (case_id)
    where e.month = $month and s.status <> 'false_positive'
),
standing_hits as (   -- findings whose stop is counted in 拟调整补差金额, not refuted
    select h.rule, k.payment_scope, r.*
    from rule_hits h join stg_roster r using (member_key)
    join rule_catalogue k on k.code = h.rule
    join cases c on c.rule = h.rule and c.person_key = r.person_key
    where c.status <> 'false_positive' and list_contains(k.annex4, 'stopped_amount')
),
stopping_members as (
    select township, member_key, monthly_amount
    from standing_hits
    where payment_scope in ('person', 'listing')
    union
    select member.township, member.member_key, member.monthly_amount
    from standing_hits head
    join stg_roster member on member.township = head.township and member.household_id = head.household_id
    where head.payment_scope = 'household'
),
poverty_households as (
    select r.township, count(distinct r.household_id) as households
    from stg_roster r join stg_poverty p on p.id_number = r.id_number
    where r.benefit_type like '%低保%' and p.household_type = '未脱贫建档立卡'
    group by r.township
),
latest_answers as (
    select ledger_id, include from latest_ledger_answer($month)
),
included as (
    select p.township,
           count(distinct case when p.relation in ('户主', '本人') or p.relation is null then e.ledger_id end) as households
    from latest_answers a
    join ledger_entries e using (ledger_id)
    join stg_poverty p using (person_key)
    where a.include = '是'
    group by p.township
),
per_township as (
    select
        d.township,
        d.households,
        d.persons,
        case when (select count(*) from stg_poverty) > 0
             then coalesce((select households from poverty_households ph where ph.township = d.township), 0)
             end as poverty_households,
        coalesce((select sum(monthly_amount) from stopping_members s where s.township = d.township), 0) as adjust_amount,
        coalesce((select households from included i where i.township = d.township), 0) as include_households,
        (select count(distinct coalesce(id_number, household_id || name)) from findings f
          where f.township = d.township and list_contains(f.annex4, 'complete_info')) as complete_info,
        coalesce((select sum(amount_overpaid) from findings f
          where f.township = d.township
            and (list_contains(f.annex4, 'overpaid')
                 or (list_contains(f.annex4, 'overpaid_confirmed') and f.status = 'confirmed'))), 0)
            as overpaid_total,
        coalesce((select sum(amount_overpaid) from findings f
          where f.township = d.township and list_contains(f.annex4, 'overpaid_confirmed')
            and f.status <> 'confirmed'), 0)
            as overpaid_suspected
    from dibao d
),
final as (
    select *, cast(null as varchar) as remark   -- summary.py states the overpaid total here
    from per_township
)
select * from final order by township
