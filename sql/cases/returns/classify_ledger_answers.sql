-- classify_ledger_answers: what to do with each 通过排查拟纳入救助 answer of a returned 附件1-3
-- ledger (registered as _incoming: ledger_id, include, reason, file_sha256), as classify_answers
-- does for cases: repeat (this file already imported, or the same answer from another copy),
-- conflict (another answer on this month's ledgers from another file, or an unsettled conflict —
-- held for `dibao settle`), new.
-- Inputs: _incoming, ledger_answers, decision_conflicts.  Parameters: $month.
with latest as (
    select ledger_id, arg_max(include, decided_at) as include, arg_max(reason, decided_at) as reason,
           arg_max(source_file, decided_at) as source_file, arg_max(file_sha256, decided_at) as file_sha256
    from ledger_answers where month = $month group by ledger_id
),
seen as (
    select ledger_id, file_sha256 from ledger_answers
    union
    select case_id, sha_b from decision_conflicts where sha_b is not null
)
select
    i.ledger_id,
    case when exists (select 1 from seen s where s.ledger_id = i.ledger_id and s.file_sha256 = i.file_sha256)
             then 'repeat'
         when i.ledger_id in (select case_id from decision_conflicts where settled_at is null) then 'conflict'
         when l.include is not null and (l.include <> i.include or l.reason is distinct from i.reason)
             then 'conflict'
         when l.include is not null then 'repeat'
         else 'new' end as outcome,
    l.include as prior_result, l.source_file as prior_file, l.file_sha256 as prior_sha
from _incoming i
left join latest l using (ledger_id);
