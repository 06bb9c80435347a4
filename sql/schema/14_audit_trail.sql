-- audit_trail: who did what with which files, one row per file (or one row without a file).
-- event: run (an input file a reconciliation read) | export (a file it wrote to the out
-- folder) | returns (a returned workbook `dibao returns` read; outcome says whether its
-- results were recorded).  os_user is the operating-system account that ran the command.
-- Appended only; written in the same working copy as the run or import it records, so a
-- failed run leaves no audit row (Prefect's history shows failed runs).
create table if not exists audit_trail (
    recorded_at timestamp not null,
    event       varchar not null,
    os_user     varchar not null,
    month       varchar,
    run_id      varchar,
    file        varchar,
    path        varchar,
    sha256      varchar,
    outcome     varchar
);
