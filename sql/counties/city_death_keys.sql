-- city_death_keys: every completed county's police/cremation death hashes for the month.
-- One row per death record: county key, source label (公安, 火化, …), id_hash, death date.
create table if not exists city_death_keys (
    month      varchar not null,
    county     varchar not null,
    source     varchar not null,
    id_hash    varchar not null,
    death_date date
);
