-- recovery_events: money recovered (追回) or written off (核销, with a reason) on a recovery
-- entry.  Appended, never edited; from a returned sheet (file and sha256, so a second import of
-- the same file counts nothing) or from `dibao recover` (source_file NULL).
create table if not exists recovery_events (
    case_id      varchar not null,
    kind         varchar not null,           -- 追回 | 核销
    amount       decimal(14, 2) not null,
    event_date   date,
    reason       varchar,                    -- required for 核销
    recorded_by  varchar not null,
    recorded_at  timestamp not null,
    source_file  varchar,
    file_sha256  varchar
);
