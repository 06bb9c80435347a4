-- latest_decision(as_of): the current decision of every decided case, counting only
-- decisions made on sheets of months up to as_of ('YYYY-MM'; '9999-12' for all).
-- decisions is append-only, so the latest decided_at is the one in force.  The one
-- definition of "the latest decision on a case": village sheets, v_open_cases and the
-- review notebook all read it.
create or replace macro latest_decision(as_of) as table
select case_id,
       arg_max(result, decided_at) as result,
       arg_max(remark, decided_at) as remark,
       max(decided_at) as decided_at
from decisions
where month <= as_of
group by case_id;
