-- python_names: the names of _distinct_names the character table cannot key: Latin letters
-- (pinyin split into syllables by names.py), an empty name, or a character whose key form is
-- not one character ($odd).  Parameters: $odd.
select name from _distinct_names
where regexp_matches(name, '[A-Za-z]') or name = '' or list_has_any(string_split(name, ''), $odd);
