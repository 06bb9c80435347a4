-- source_rejects: one kind of reject of one source (a value NULLed or a row not imported),
-- with the file, sheet, row, column header, raw value and the Chinese reason; _order and
-- _pos keep the order stage_source lists them in.
-- Filled in by flows/normalize/staging.py: {stage}, {value} (the raw column), {condition}.
-- Parameters: $source, $column, $reason, $source_index, $order.
insert into _stage_rejects
select $source, _file, _sheet, _row, $column, {value}, $reason, $source_index, $order, _pos
from {stage}
where {condition};
