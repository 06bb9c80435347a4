-- latest_ledger_answer(as_of): the current answer on every answered 台账 entry, counting
-- only ledgers of months up to as_of ('YYYY-MM').  ledger_answers is append-only, so the
-- latest decided_at is the one in force.  Read by the ledgers (上次填报) and 附件4.  An entry
-- with an unsettled conflict (two copies answered differently) has no answer in force until
-- `dibao settle` records one; so this file comes after decision_conflicts.
create or replace macro latest_ledger_answer(as_of) as table
select ledger_id,
       arg_max(include, decided_at) as include,
       arg_max(reason, decided_at) as reason
from ledger_answers
where month <= as_of
  and ledger_id not in (select case_id from decision_conflicts where settled_at is null)
group by ledger_id;
