-- nfkc_probe: for one text column of raw_<source>, the distinct values holding a character
-- outside the SQL NFKC mapping (normalised in Python, once each: flows/normalize/staging.py)
-- and whether any value holds a full-width character at all (if none, the column is used
-- as it is).  Macros: normalize/macros.sql.
-- Filled in by flows/normalize/staging.py: {raw}, {column}.
select list(distinct {column}) filter (where nfkc_unsafe({column})),
       coalesce(bool_or(nfkc_wide({column})), false)
from {raw};
