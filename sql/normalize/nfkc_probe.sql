-- nfkc_probe: for one text column of raw_<source>, the distinct values holding a character
-- outside the SQL NFKC mapping (normalised in Python, once each: flows/normalize/staging.py)
-- and whether any value holds a full-width character at all (if none, the column is used
-- as it is).  nfkc_odd first: most values hold neither, and one regexp says so.
-- Macros: normalize/macros.sql.
-- Filled in by flows/normalize/staging.py: {raw}, {column}.
select list(distinct {column}) filter (where case when nfkc_odd({column}) then nfkc_unsafe({column}) else false end),
       coalesce(bool_or(case when nfkc_odd({column}) then nfkc_wide({column}) else false end), false)
from {raw};
