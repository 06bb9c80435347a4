-- village_rule_counts: exceptions of the month counted by township × village × rule,
-- with the overpaid amount, for the summary's 分村统计 sheet.
-- Inputs: exceptions.  Parameters: $month.
select township, village, rule, count(*) as n, coalesce(sum(amount_overpaid), 0) as amount_overpaid
from exceptions
where month = $month
group by township, village, rule
order by township, village, rule
