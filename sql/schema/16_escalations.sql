-- escalations: cases escalated in a month (督办), one row per (month, case).
-- kind 已核实仍在发放: confirmed 属实 on an earlier month's sheet and still paid;
-- kind 逾期未核实: no 核实结果 for overdue_months months since first issued.
-- Recomputed on every run of the month.
create table if not exists escalations (
    month             varchar not null,
    case_id           varchar not null,
    kind              varchar not null,
    confirmed_month   varchar,           -- month of the sheet the confirmation was made on
    confirmed_by      varchar,
    confirmed_at      timestamp,
    confirmed_file    varchar,
    confirmed_result  varchar,
    months_since      integer not null   -- months paid since confirmation, or months unanswered
);
