-- source_rejects: one kind of reject of one source (a value NULLed or a row not imported),
-- with the file, sheet, row, column header, raw value and the Chinese reason; _order and
-- _pos keep the order they are listed in (flows/normalize/staging._rejects).
-- Filled in by flows/normalize/staging.py: {stage}, {value} (the raw column), {condition}.
-- Parameters: $source, $column, $reason, $source_index, $order, and $accepted_<field> (a
-- check's accepted values, flows/sources/kinds.py) when the condition names them.
insert into _stage_rejects
select $source, _file, _sheet, _row, $column, {value}, $reason, $source_index, $order, _pos
from {stage}
where {condition};
