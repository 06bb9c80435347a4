-- actions: payment changes the township office must make (停发 / 调整), one row per
-- household action, resting on one or more confirmed cases.  Created once, never deleted;
-- done_month is set by the first later run whose roster shows the change was made.
create table if not exists actions (
    action_id      varchar primary key,     -- A000001
    kind           varchar not null,        -- 停发 | 调整
    action_key     varchar not null,        -- township|household|person (停发) or township|household (调整)
    township       varchar,
    village        varchar,
    household_id   varchar,
    head_name      varchar,
    person_key     varchar,
    name           varchar,                 -- the person stopped; the 户主 for household actions
    id_number      varchar,
    benefit_type   varchar,
    current_size   integer,
    new_size       integer,
    current_amount decimal(14, 2),          -- monthly, of what the action changes
    new_amount     decimal(14, 2),
    from_month     varchar not null,        -- first month paid at the new amount
    reason         varchar not null,
    case_ids       varchar not null,        -- 、-separated
    created_month  varchar not null,
    done_month     varchar,
    unique (kind, action_key)
);
