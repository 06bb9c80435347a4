-- rule_hits: the findings of this run, before they are joined to people and cases.
-- Every rule in sql/rules/ returns exactly these columns, so one writer serves all.
create or replace table rule_hits (
    rule              varchar not null,
    member_key        bigint not null,
    matched_source    varchar,
    matched_name      varchar,
    matched_id_number varchar,
    death_date        date,
    score             double,
    months_overpaid   integer,
    amount_overpaid   decimal(14, 2),
    detail            varchar,
    evidence_key      varchar
);
