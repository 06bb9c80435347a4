-- latest_ledger_answer(as_of): the current answer on every answered 台账 entry, counting
-- only ledgers of months up to as_of ('YYYY-MM').  ledger_answers is append-only, so the
-- latest decided_at is the one in force.  Read by the ledgers (上次填报) and 附件4.
create or replace macro latest_ledger_answer(as_of) as table
select ledger_id,
       arg_max(include, decided_at) as include,
       arg_max(reason, decided_at) as reason
from ledger_answers
where month <= as_of
group by ledger_id;
