-- record_sources: keep every returned file's answer (registered as _sources), whether it was
-- recorded, the same as one recorded from another copy, or in conflict — once per file and row.
-- Inputs: _sources, decision_sources.
insert into decision_sources by name
select s.* from _sources s
where not exists (select 1 from decision_sources o
                  where o.subject_id = s.subject_id and o.file_sha256 = s.file_sha256
                    and o.row_number is not distinct from s.row_number);
