-- drop_raw: one source's raw_<source> rows, once all of them are staged into norm_<kind> and
-- rejects: nothing reads them after, and the run's connection would hold them to its end.
-- Filled in by flows/normalize/staging.py: {raw}.
drop table if exists temp.{raw};
