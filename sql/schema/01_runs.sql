-- runs: one row per monthly reconciliation that completed.
-- A run that fails never reaches the warehouse (it works on a copy), so every row here
-- is a finished run: its month, timing, package version, config fingerprint and counts.
create table if not exists runs (
    run_id          varchar primary key,
    month           varchar not null,        -- YYYY-MM, the month whose benefits are checked
    started_at      timestamp not null,
    finished_at     timestamp,
    status          varchar not null,        -- success
    package_version varchar not null,
    config_sha256   varchar not null,
    rows_rejected   integer not null,
    counts_json     varchar not null         -- exceptions per rule, as JSON
);
