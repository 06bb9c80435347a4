-- distinct_names: an empty _distinct_names(name), filled by add_distinct_names from every
-- source's names; sql/normalize/names.sql keys them.
create or replace temp table _distinct_names (name varchar);
