-- mark_done: an action is done (已落实) in the first month from its from_month whose roster shows
-- it.  A household action (one row per household): the household is gone, or every member it
-- stops is gone and, for a 调整, the 保障人数 is the new one or the monthly total changed.
-- Rows written before that design (stop_count NULL) keep their own test: a person's 停发 is done
-- when the person is gone, a household's 停发 when the household is gone, a 调整 when the size or
-- total changed.
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
    left join (select a2.action_id, count(*) as still_listed
               from actions a2
               join roster_months r on r.month = $month
                                   and list_contains(string_split(a2.person_key, '、'), r.person_key)
               group by a2.action_id) s
           on s.action_id = a.action_id
    where a.done_month is null and a.from_month <= $month
      and case
            when a.stop_count is not null and h.household_id is null then true
            when a.stop_count is not null and a.kind = '停发' then false
            when a.stop_count is not null
                then coalesce(s.still_listed, 0) = 0
                     and (h.size = a.new_size or h.amount is distinct from a.current_amount)
            when a.kind = '停发' and a.person_key is not null then p.person_key is null
            when a.kind = '停发' then h.household_id is null
            else h.household_id is null or h.size = a.new_size or h.amount is distinct from a.current_amount
          end
) done
where actions.action_id = done.action_id;
