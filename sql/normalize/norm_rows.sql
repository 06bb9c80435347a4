-- norm_rows: the rows of one source that can be reconciled, appended to norm_<kind> (in file
-- order: the stage table was written in raw order, and DuckDB keeps insertion order).
-- Filled in by flows/normalize/staging.py: {table}, {stage}, {columns}, {kept}.
-- Parameters: $source, $label, $township_label (the 乡镇 a roster without that column belongs to),
-- $accepted_<field> (a check's accepted values, flows/sources/kinds.py) when {kept} or {columns} name them.
insert into {table} by name
select {columns}
from {stage}
where {kept};
