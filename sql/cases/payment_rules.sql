-- payment_rules: which findings, once confirmed (属实), change a payment, and how — each
-- rule's `-- payment:` and `-- payment_reason:` header lines (flows/rules.py), as the catalogue
-- of the running code registers them.
--   action  停发: the person's benefit stops (scope person; listing: only the listing the village
--           chose 停发此处), or the household's (scope household: 渐退期满);
--           调整: the household's 保障人数 and amount are recalculated.
-- The one place escalation, action lists and recovery read this from.
-- Inputs: rule_catalogue.
create or replace table payment_rules as
select code as rule, payment_action as action, payment_reason as reason_zh, payment_scope as scope
from rule_catalogue
where payment_action is not null
order by position;
