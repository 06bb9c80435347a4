-- run_inputs: lineage, one row per input file (and sheet) read by a run.
-- The sha256 lets an auditor prove which delivery of which registry produced a finding.
create table if not exists run_inputs (
    run_id        varchar not null,
    month         varchar not null,
    source        varchar not null,          -- config source name, e.g. police_deaths
    kind          varchar not null,          -- roster | deaths | population
    file          varchar not null,          -- file name as delivered
    path          varchar not null,
    sha256        varchar not null,
    encoding      varchar,
    sheets        integer not null,
    rows_read     integer not null,
    rows_rejected integer not null
);
