-- decisions: what a village or the analyst decided about a case, with who, when and from which file.
-- Appended, never updated: the latest decision of a case is its current one.
create table if not exists decisions (
    case_id      varchar not null,
    month        varchar not null,          -- the month of the sheet the decision was made on
    result       varchar not null,          -- 属实 | 不属实 | 已处理
    remark       varchar,
    decided_by   varchar not null,          -- village name, or the analyst's user name
    decided_at   timestamp not null,
    source_file  varchar,                   -- returned workbook name, NULL for the notebook
    file_sha256  varchar,
    evidence_key varchar                    -- the evidence the decision was made on
);
