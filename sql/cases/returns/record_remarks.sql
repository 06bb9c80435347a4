-- record_remarks: keep each 备注 written without a 核实结果 (registered as _remarks), once per
-- file and case, so importing the same file twice does not list it twice.
-- Inputs: _remarks, case_remarks.  Parameters: none.
insert into case_remarks (case_id, month, remark, written_by, recorded_at, source_file, file_sha256)
select r.case_id, r.month, r.remark, r.decided_by, r.decided_at, r.source_file, r.file_sha256
from _remarks r
where not exists (select 1 from case_remarks c
                  where c.case_id = r.case_id and c.file_sha256 is not distinct from r.file_sha256);
