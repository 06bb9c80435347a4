-- decision_conflicts.subject_kind: case (a 核实结果) | ledger (a 附件1-3 通过排查拟纳入救助 answer,
-- whose conflicting copies are held for `dibao settle` exactly as a case's are).
alter table decision_conflicts add column if not exists subject_kind varchar default 'case';
