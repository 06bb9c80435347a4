-- exceptions.evidence_pattern: on a DECEASED_SUSPECT finding, the comparison levels its match
-- probability rests on, as benchmarks/suspects.py counts them
-- ('birth:same|surname:same|given:sound|id:unknown|place:address'); NULL on every other rule.
-- The villages' answers are counted per pattern (sql/reports/pattern_answers.sql).
alter table exceptions add column if not exists evidence_pattern varchar;
