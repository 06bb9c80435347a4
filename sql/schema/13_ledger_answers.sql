-- ledger_answers: what a village answered on a returned 附件1-3 ledger, per person:
-- 通过排查拟纳入救助 (是 | 否), 未纳入原因, the 目前享受救助类型 it confirmed, who, when, which file.
-- Appended, never updated: the latest answer of a ledger_id is its current one.
create table if not exists ledger_answers (
    ledger_id          varchar not null,
    month              varchar not null,
    include            varchar not null,
    reason             varchar,
    current_assistance varchar,
    decided_by         varchar not null,
    decided_at         timestamp not null,
    source_file        varchar not null,
    file_sha256        varchar not null
);
