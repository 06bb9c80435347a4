-- registry_certainty: mark each of this month's findings whose registry evidence outranks a
-- village's denial, as its rule's header declares (`outranks_village`, flows/rules.py):
--   always          every finding of the rule (DUPLICATE_BENEFIT: the same valid ID listed twice);
--   registry_death  the member's exact ID in a death registry (公安死亡注销, 火化, any source of kind
--                   deaths), or in two or more sources (计生 人员状态=死亡 and another).
-- A village's 不属实/已处理 on such a finding makes its case `disputed` (apply_decisions):
-- 农村低保专项治理 — 村干部不得一人说了算; the village reports, the township decides.
-- Inputs: exceptions, rule_catalogue, stg_death_evidence.  Parameters: $month, $month_end.
update exceptions
set registry_certain = marked.certain
from (
    with proof as (
        select id_number, count(distinct source) >= 2 or bool_or(source_kind = 'deaths') as certain
        from stg_death_evidence
        where id_number is not null and death_date <= $month_end
        group by id_number
    )
    select e.case_id,
           case c.outranks_village
               when 'always' then true
               when 'registry_death' then coalesce(p.certain, false)
               else false end as certain
    from exceptions e
    join rule_catalogue c on c.code = e.rule
    left join proof p on p.id_number = e.id_number
    where e.month = $month
) marked
where exceptions.month = $month and exceptions.case_id = marked.case_id;
