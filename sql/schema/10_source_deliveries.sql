-- source_deliveries: rows each source delivered per township (and roster village) in
-- each run, so the next month can see a township that went missing from a feed.
create table if not exists source_deliveries (
    run_id   varchar not null,
    month    varchar not null,
    source   varchar not null,
    township varchar not null,           -- from the roster column, else from 户籍地址
    village  varchar,                    -- roster only
    "rows"   integer not null
);
