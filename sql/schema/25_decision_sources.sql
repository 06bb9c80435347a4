-- decision_sources: every returned file that gave an answer, one row per (file, answered row).
-- The same answer to the same case (or 台账 entry) from any number of copies is one decision
-- (decisions / ledger_answers); each copy is kept here, so "who decided this, from which file"
-- is always answerable (review.audit_trail).  Appended only.
create table if not exists decision_sources (
    subject_id   varchar not null,          -- case_id (C000001) or ledger_id (L000001)
    subject_kind varchar not null,          -- case | ledger
    month        varchar not null,          -- month of the sheet
    answer       varchar not null,          -- 属实 / 不属实 / 已处理 / 停发此处 / 保留此处 / 是 / 否
    remark       varchar,
    village      varchar not null,          -- the village the file was issued to
    source_file  varchar not null,
    file_sha256  varchar not null,
    sheet        varchar,
    row_number   integer,
    imported_by  varchar not null,
    imported_at  timestamp not null,
    outcome      varchar not null           -- recorded | same_as_recorded | conflict
);
