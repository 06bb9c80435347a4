-- overpaid: money paid after a death, by village, for $month.  A case the village found
-- 不属实 is no overpayment.
-- Read-only; used by flows/review.py and the review notebook.
select e.township, e.village,
    count(*) filter (where e.rule = 'DECEASED_PAID') as paid_persons,
    coalesce(sum(e.months_overpaid) filter (where e.rule = 'DECEASED_PAID'), 0) as paid_months,
    coalesce(sum(e.amount_overpaid) filter (where e.rule = 'DECEASED_PAID'), 0) as paid_amount,
    count(*) filter (where e.rule = 'DECEASED_PAID' and e.months_overpaid is null) as paid_months_unknown,
    count(*) filter (where e.rule = 'DECEASED_SUSPECT') as suspect_persons,
    coalesce(sum(e.months_overpaid) filter (where e.rule = 'DECEASED_SUSPECT'), 0) as suspect_months,
    coalesce(sum(e.amount_overpaid) filter (where e.rule = 'DECEASED_SUSPECT'), 0) as suspect_amount
from exceptions e join cases c using (case_id)
where e.month = $month and e.rule in ('DECEASED_PAID', 'DECEASED_SUSPECT')
  and c.status <> 'false_positive'
group by e.township, e.village
order by paid_amount desc, suspect_amount desc, e.township, e.village
