-- duplicate_choices: answers (registered as _incoming: case_id, choice) that would leave a person
-- listed twice (重复享受) with every listing stopped, or every listing kept while the duplicate is
-- confirmed.  Each listing is its own case; the answer on a listing not in _incoming is its
-- effective decision.  A listing answered 不属实/已处理 (no choice) leaves the person's other
-- answers free.  One row per refused incoming case: verdict all_stopped | all_kept.
-- Policy: 《特困人员认定办法》第十七条 and 低保 one household per person — one listing stays.
-- Inputs: _incoming, exceptions, v_effective_decisions.  Parameters: $month.
with listings as (
    select case_id, id_number
    from exceptions
    where month = $month and rule = 'DUPLICATE_BENEFIT' and id_number is not null
),
answers as (
    select l.id_number, l.case_id,
           case when i.case_id is not null then i.choice else v.choice end as choice
    from listings l
    left join _incoming i using (case_id)
    left join v_effective_decisions v using (case_id)
    where l.id_number in (select l2.id_number from listings l2 join _incoming i2 using (case_id))
),
people as (
    select id_number, count(*) as listings,
           count(*) filter (where choice = '停发此处') as stopped,
           count(*) filter (where choice = '保留此处') as kept
    from answers group by id_number
)
select i.case_id,
       case when p.stopped = p.listings then 'all_stopped' else 'all_kept' end as verdict
from _incoming i
join listings l using (case_id)
join people p using (id_number)
where i.choice is not null and (p.stopped = p.listings or p.kept = p.listings)
order by i.case_id;
