-- add_distinct_names: the normalised names of one raw_<source> not yet in _distinct_names
-- (every distinct name once, whichever sources it is in).  Macros: normalize/macros.sql.
-- Filled in by flows/normalize/staging.py: {raw}, {nfkc_joins} (the _nfkc map, when the name
-- column has values it covers), {name} (the name column's NFKC form).
insert into _distinct_names
select name
from (select distinct name_clean({name}) as name from {raw} r {nfkc_joins})
where name is not null and name not in (select name from _distinct_names);
