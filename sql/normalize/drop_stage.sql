-- drop_stage: one source's stage (a slice of its raw rows), once its rejects and norm rows are written.
-- Filled in by flows/normalize/staging.py: {stage}.
drop table if exists temp.{stage};
