-- mark_done: an action is done (已落实) in the first month from its from_month whose roster shows
-- it: for a person's 停发 the person is gone; for a household's 停发 the household is gone; for a
-- 调整 the household's 保障人数 is the new one, or its monthly total changed, or it is gone.
-- Inputs: actions, roster_months.  Parameters: $month.
update actions set done_month = $month
from (
    select a.action_id
    from actions a
    left join (select distinct person_key from roster_months where month = $month) p
           on p.person_key = a.person_key
    left join (select township, household_id, max(household_size) as size, sum(monthly_amount) as amount
               from roster_months where month = $month group by all) h
           on h.township = a.township and h.household_id = a.household_id
    where a.done_month is null and a.from_month <= $month
      and case
            when a.kind = '停发' and a.person_key is not null then p.person_key is null
            when a.kind = '停发' then h.household_id is null
            else h.household_id is null or h.size = a.new_size or h.amount is distinct from a.current_amount
          end
) done
where actions.action_id = done.action_id;
