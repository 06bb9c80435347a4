-- actions, columns added with the one-row-per-household design (a warehouse of an earlier
-- version gains them; its open rows stay as they were and keep the old meaning).
-- stop_count: how many listed members stop (their names, IDs and keys are in name, id_number,
--   person_key, 、-separated).  NULL on rows written before this design.
alter table actions add column if not exists stop_count integer;
