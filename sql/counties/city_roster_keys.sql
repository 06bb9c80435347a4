-- city_roster_keys: every completed county's roster hashes for the month (city warehouse).
-- One row per (county, roster member): county key, run_id, ref = the county's member_key,
-- id_hash = HMAC of the ID.  No name or ID number.
create table if not exists city_roster_keys (
    month   varchar not null,
    county  varchar not null,
    run_id  varchar not null,
    ref     bigint  not null,
    id_hash varchar not null
);
