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
with short_names as (       -- nearly every name: up to four characters, one lookup per position
    select name from _distinct_names
    where length(name) <= 4 and name not in (select name from _names_python)
),
short_keyed as (
    select s.name,
           coalesce(c1.key_char, '') || coalesce(c2.key_char, '') || coalesce(c3.key_char, '')
               || coalesce(c4.key_char, '') as name_key,
           concat_ws(' ', nullif(coalesce(c1.surname_reading, c1.reading), ''), nullif(c2.reading, ''),
                     nullif(c3.reading, ''), nullif(c4.reading, '')) as name_pinyin
    from short_names s
    left join _name_chars c1 on c1.ch = substr(s.name, 1, 1)
    left join _name_chars c2 on c2.ch = substr(s.name, 2, 1)
    left join _name_chars c3 on c3.ch = substr(s.name, 3, 1)
    left join _name_chars c4 on c4.ch = substr(s.name, 4, 1)
),
positions as (              -- longer names (少数民族 names with ·): character by character
    select name, unnest(range(1, length(name) + 1)) as pos
    from _distinct_names
    where length(name) > 4 and name not in (select name from _names_python)
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
    select name, name_key, name_pinyin from short_keyed
    union all
    select name, string_agg(key_char, '' order by pos) as name_key,
           coalesce(string_agg(syllable, ' ' order by pos), '') as name_pinyin
    from keyed
    group by name
    union all
    select name, name_key, name_pinyin from _names_python
)
select * from final;
