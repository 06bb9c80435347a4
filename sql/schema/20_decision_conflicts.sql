-- decision_conflicts: two different 核实结果 for one case on one month's sheets (two returned
-- copies in one batch, or a copy against an earlier import).  While unsettled, neither answer
-- counts (v_effective_decisions, and the case is open again); the office settles it with one
-- answer (`dibao settle`), recorded as a decision.
create table if not exists decision_conflicts (
    case_id        varchar not null,
    month          varchar not null,
    result_a       varchar not null,        -- the answer recorded earlier
    file_a         varchar,
    sha_a          varchar,
    result_b       varchar not null,        -- the answer that contradicts it
    file_b         varchar,
    sha_b          varchar,
    found_at       timestamp not null,
    settled_at     timestamp,
    settled_result varchar,
    settled_by     varchar
);
