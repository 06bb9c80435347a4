-- stage_rejects: the rejects of this normalisation, before they get the run's id and month.
create or replace temp table _stage_rejects (
    source varchar, file varchar, sheet varchar, "row" bigint, "column" varchar, value varchar, reason varchar,
    _source_index integer, _order integer, _pos bigint
);
