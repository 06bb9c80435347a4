-- recovery_entries: one per confirmed overpaid case (追缴): what was overpaid up to the
-- confirmation.  Months paid after it (the office's own delay) are counted from roster_months
-- when balances are read, and shown apart.
create table if not exists recovery_entries (
    case_id         varchar primary key,
    township        varchar,
    village         varchar,
    household_id    varchar,
    person_key      varchar not null,
    name            varchar,
    monthly_amount  decimal(14, 2),
    months_before   integer not null,        -- months overpaid up to the confirmed sheet's month
    amount_before   decimal(14, 2) not null,
    confirmed_month varchar not null,
    created_month   varchar not null
);
