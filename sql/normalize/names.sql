-- names: _names(name, name_key, name_pinyin) for every distinct normalised name, through a
-- character table instead of a Python call per name (a city has a million distinct names
-- but a few thousand characters).  Per character, _name_chars (flows/normalize/staging.py,
-- from flows/normalize/names.py) gives its key form (simplified; a placeholder as '?'), the
-- reading of that key character, and its reading as a surname (单 shan, 曾 zeng ...).
--   name_key    = the key forms, in order;
--   name_pinyin = the readings of the key characters joined by spaces, the first one read
--                 as a surname, characters without a reading (·) left out.
-- Names holding Latin letters (袁文zhe: pinyin split into syllables) or a character whose
-- key form is not one character are in _names_python (computed by names.py itself).
-- Inputs: _distinct_names(name), _name_chars, _names_python.
create or replace temp table _names as
with positions as (
    select name, unnest(range(1, length(name) + 1)) as pos
    from _distinct_names
    where name not in (select name from _names_python)
),
per_char as (
    select name, pos, substr(name, pos, 1) as ch from positions
),
keyed as (
    select pc.name, pc.pos, c.key_char,
           nullif(case when pc.pos = 1 then coalesce(c.surname_reading, c.reading) else c.reading end, '') as syllable
    from per_char pc
    join _name_chars c on c.ch = pc.ch
),
final as (
    select name, string_agg(key_char, '' order by pos) as name_key,
           coalesce(string_agg(syllable, ' ' order by pos), '') as name_pinyin
    from keyed
    group by name
    union all
    select name, name_key, name_pinyin from _names_python
)
select * from final;
