-- name_characters: every distinct character of the names in _distinct_names (names.py
-- gives each its key form and readings: _name_chars).
select distinct unnest(string_split(name, '')) from _distinct_names;
