-- exceptions: every finding of every month, one row per (month, rule, roster member),
-- in the column order of exceptions.csv (SPEC §5) plus the case it belongs to.
-- Re-running a month replaces that month's rows and leaves other months alone.
create table if not exists exceptions (
    month             varchar not null,
    run_id            varchar not null,
    case_id           varchar not null,
    rule              varchar not null,
    severity          varchar not null,
    township          varchar,
    village           varchar,
    household_id      varchar,
    name              varchar,
    id_number         varchar,
    id_number_raw     varchar,
    matched_source    varchar,
    matched_name      varchar,
    matched_id_number varchar,
    death_date        date,
    score             double,
    months_overpaid   integer,
    amount_overpaid   decimal(14, 2),
    detail            varchar,
    evidence_key      varchar,         -- what the finding rests on; a change re-opens a dismissed case
    head_name         varchar,         -- 户主姓名 and the member's 救助类型, for the village sheets
    benefit_type      varchar
);
