-- open_entries: a recovery entry (追缴) for every confirmed (属实) death that was overpaid,
-- with the months and amount overpaid up to the month of the sheet it was confirmed on.
-- Policy: 对已死亡仍领取的救助金依法予以追回.
-- Inputs: v_effective_decisions, cases, exceptions, roster_months, recovery_entries.
-- Parameters: $month.
insert into recovery_entries
with confirmed as (
    select d.case_id, d.decided_month, c.person_key
    from v_effective_decisions d join cases c using (case_id)
    where d.result = '属实' and d.decided_month <= $month
      and c.rule in ('DECEASED_PAID', 'DECEASED_SUSPECT')
      and d.case_id not in (select case_id from recovery_entries)
),
finding as (   -- the finding as it stood on the confirmed sheet
    select f.*, e.township, e.village, e.household_id, e.name, e.months_overpaid, e.amount_overpaid
    from confirmed f join exceptions e on e.case_id = f.case_id and e.month <= f.decided_month
    qualify row_number() over (partition by f.case_id order by e.month desc) = 1
),
final as (
    select f.case_id, f.township, f.village, f.household_id, f.person_key, f.name,
           r.monthly_amount, coalesce(f.months_overpaid, 0), coalesce(f.amount_overpaid, 0),
           f.decided_month, $month
    from finding f
    left join roster_months r on r.person_key = f.person_key and r.month = f.decided_month
    where coalesce(f.amount_overpaid, 0) > 0
)
select * from final;
