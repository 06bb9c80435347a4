-- case_trail: who decided a case (or a 台账 entry), on what, from which file: every decision
-- (village answers with file hash, sheet, row, village and importer; township decisions with
-- the officer, reason and evidence) and every returned copy that gave an answer on it, oldest
-- first.  Read-only; review.audit_trail(case_id=…) and the review notebook.
-- Parameters: $case_id.
select 'decision' as entry, month, decided_at as at, coalesce(choice, result) as answer, remark,
       coalesce(origin, 'village') as origin, decided_by, evidence, source_file, file_sha256, sheet,
       row_number, imported_by, 'recorded' as outcome
from decisions where case_id = $case_id
union all
select 'returned_copy', month, imported_at, answer, remark, 'village', village, null, source_file, file_sha256,
       sheet, row_number, imported_by, outcome
from decision_sources where subject_id = $case_id
order by at, entry;
