-- distinct_values: the distinct non-empty raw values of one column of raw_<source>: a date,
-- month, amount or sex column, parsed in Python once per value (flows/normalize/staging.py).
-- Filled in by flows/normalize/staging.py: {raw}, {column}.
select distinct {column} from {raw} where {column} is not null;
