-- roster_months: who was on the roster (and so paid) in each reconciled month, one row per
-- (month, roster member).  Kept so later months can tell whether an action was carried out
-- (the person is gone, the amount changed) and how many months were paid after a confirmation.
-- Re-running a month replaces that month's rows.
create table if not exists roster_months (
    month          varchar not null,
    person_key     varchar not null,
    township       varchar,
    village        varchar,
    household_id   varchar,
    head_name      varchar,
    name           varchar,
    id_number      varchar,
    id_number_raw  varchar,
    relation       varchar,
    benefit_type   varchar,
    household_size integer,
    monthly_amount decimal(14, 2)
);
