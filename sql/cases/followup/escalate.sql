-- escalate: cases found this month that need the township's attention now (督办).
-- 已核实仍在发放: the effective 核实结果 (made on an earlier month's sheet) is 属实, the finding
--   changes a payment (payment_rules) and the person is still on this month's roster;
--   months_since = months paid since the month of the sheet it was confirmed on.
-- 逾期未核实: no effective 核实结果 at all, first issued $overdue_months or more months ago;
--   months_since = months since first issued.
-- 待镇复核: the village answered 不属实/已处理 on registry-certain evidence (case disputed); it is
--   escalated every month, like a confirmed case still paid, until the township decides;
--   months_since = months since the village's answer.
-- Policy: 坚决防止低保对象去世后仍长时间发放救助金.
-- Inputs: exceptions, cases, v_effective_decisions, v_first_confirmations, payment_rules.
-- Parameters: $month, $month_index, $overdue_months.
insert into escalations
with found as (
    select e.case_id, e.rule, c.first_seen_month, c.status
    from exceptions e join cases c using (case_id)
    where e.month = $month
),
decided as (   -- the effective answer; for a 属实, dated from its first confirmation
    select v.case_id, v.result,
           coalesce(f.confirmed_month, v.decided_month) as decided_month,
           coalesce(f.confirmed_by, v.decided_by) as decided_by,
           coalesce(f.confirmed_at, v.decided_at) as decided_at,
           coalesce(f.confirmed_file, v.source_file) as source_file
    from v_effective_decisions v left join v_first_confirmations f using (case_id)
    where v.decided_month < $month
),
final as (
    select $month as month, f.case_id,
           case when f.status = 'disputed' then '待镇复核'
                when d.result is null then '逾期未核实' else '已核实仍在发放' end as kind,
           d.decided_month as confirmed_month, d.decided_by as confirmed_by, d.decided_at as confirmed_at,
           d.source_file as confirmed_file, d.result as confirmed_result,
           $month_index - (cast(substr(coalesce(d.decided_month, f.first_seen_month), 1, 4) as integer) * 12
                           + cast(substr(coalesce(d.decided_month, f.first_seen_month), 6, 2) as integer))
               as months_since
    from found f
    left join decided d using (case_id)
    where (d.result = '属实' and f.rule in (select rule from payment_rules)
           and d.case_id not in (select case_id from v_effective_decisions where choice = '保留此处'))
       or (d.result is null and f.case_id not in (select case_id from v_effective_decisions))
       or f.status = 'disputed'
)
select * from final
where kind <> '逾期未核实' or months_since >= $overdue_months;
