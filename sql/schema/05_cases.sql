-- cases: a finding that lives across months, keyed by (rule, person).
-- person_key is township | household | (the normalised ID when valid, else the name).  case_id is a
-- short opaque number printed on village sheets (核查编号) and read back from returns.
-- disputed: a village answered 不属实/已处理 on a finding whose registry evidence outranks a
-- village's word (an exact-ID death, …); it stays on the office's lists until the township decides.
create table if not exists cases (
    case_id          varchar primary key,
    rule             varchar not null,
    person_key       varchar not null,
    first_seen_month varchar not null,
    last_seen_month  varchar not null,
    status           varchar not null,   -- new | open | confirmed | false_positive | resolved | disputed
    evidence_key     varchar,
    unique (rule, person_key)
);
