-- village_rule_counts: the month's findings that stand, counted by township × village × rule, with
-- the overpaid amount split into confirmed (an exact-ID death, or a suspected death the village
-- confirmed) and suspected (疑似死亡 not yet confirmed: a rule whose header says `annex4:
-- overpaid_confirmed`), for the summary's 分村统计 sheet.
-- A finding the village refuted (不属实: case false_positive, not reopened) is not counted.
-- Inputs: exceptions, cases, rule_catalogue.  Parameters: $month.
select e.township, e.village, e.rule, count(*) as n,
       coalesce(sum(e.amount_overpaid), 0) as amount_overpaid,
       coalesce(sum(e.amount_overpaid) filter (where not list_contains(k.annex4, 'overpaid_confirmed')
                                                  or c.status = 'confirmed'), 0) as amount_confirmed,
       coalesce(sum(e.amount_overpaid) filter (where list_contains(k.annex4, 'overpaid_confirmed')
                                                  and c.status <> 'confirmed'), 0) as amount_suspected
from exceptions e
join cases c using (case_id)
join rule_catalogue k on k.code = e.rule
where e.month = $month and c.status <> 'false_positive'
group by e.township, e.village, e.rule
order by e.township, e.village, e.rule
