-- append_decisions: record the decisions in the registered frame _decisions, each with the
-- evidence its case stood on when it was decided (so a changed finding re-opens a 不属实).
-- Inputs: _decisions (case_id, result, remark, month, decided_by, decided_at, source_file,
-- file_sha256), cases.
insert into decisions by name
select d.*, c.evidence_key from _decisions d join cases c using (case_id)
