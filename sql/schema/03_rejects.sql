-- rejects: every value or row that could not be read, per run, with a Chinese reason.
-- Nothing is silently lost: a bad value is NULLed (and listed here), a row without
-- a name or household is not imported (and listed here).
create table if not exists rejects (
    run_id  varchar not null,
    month   varchar not null,
    source  varchar not null,
    file    varchar not null,
    sheet   varchar,
    "row"   integer not null,
    "column" varchar not null,
    value   varchar,
    reason  varchar not null
);
