-- ledger_seq: numbers for new ledger_ids, never reused.
create sequence if not exists ledger_seq start 1;
