-- rule_hits: the findings of this run, before they are joined to people and cases.
-- Every rule in sql/rules/ returns these columns, so one writer serves all.  A rule
-- flags a roster member (member_key) or, for 应保未保, a person on the poverty registry
-- (poverty_key); subject_id is the one key of stg_subjects for both.
create or replace table rule_hits (
    rule              varchar not null,
    member_key        bigint,
    poverty_key       bigint,
    subject_id        bigint generated always as (coalesce(member_key, -poverty_key)),
    matched_source    varchar,
    matched_name      varchar,
    matched_id_number varchar,
    death_date        date,
    death_date_precision varchar,     -- 'day' | 'month' (the day is unknown)
    score             double,
    months_overpaid   integer,
    amount_overpaid   decimal(14, 2),
    detail            varchar,
    evidence_key      varchar,
    evidence_pattern  varchar,        -- DECEASED_SUSPECT: the levels the score rests on (see exceptions)
    match_levels      varchar
);
