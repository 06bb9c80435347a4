-- ledger_entries: a stable 台账编号 (L000001, …) for each person on the poverty registry,
-- printed (hidden) in the 附件1-3 ledgers so returned answers find their person again.
create table if not exists ledger_entries (
    ledger_id        varchar primary key,
    person_key       varchar not null unique,   -- township | village | ID (or name)
    first_seen_month varchar not null
);
