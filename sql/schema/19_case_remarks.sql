-- case_remarks: a 备注 a village wrote without choosing a 核实结果 (e.g. 此人已于3月去世).
-- Not a decision, but never dropped: shown on the next month's sheet and counted as 待补核实结果.
create table if not exists case_remarks (
    case_id     varchar not null,
    month       varchar not null,           -- month of the sheet it was written on
    remark      varchar not null,
    written_by  varchar not null,           -- village
    recorded_at timestamp not null,
    source_file varchar,
    file_sha256 varchar
);
