-- city_findings: cross-county findings of a month, one row per (county, ref, rule):
-- the county and its case reference (member_key of run run_id), the rule, the other
-- counties involved (names), and for DECEASED_PAID the sources and earliest death date.
create table if not exists city_findings (
    month          varchar not null,
    county         varchar not null,
    run_id         varchar not null,
    ref            bigint  not null,
    rule           varchar not null,
    other_counties varchar not null,
    sources        varchar,
    death_date     date
);
