-- pair_levels: each comparison of a (roster member, death record) pair as a level, the way
-- Splink declares comparisons: one CASE per comparison, first matching level wins.
--   birth   same (the member's birth date: the ID's, else a day-precise 出生日期) |
--           column (only the roster's 出生日期, where it differs from the ID's) | differs | unknown
--   surname same (after variant mapping) | sound (same syllable: homophone or pinyin) |
--           differs | unknown (placeholder or missing)
--   given   same | sound (same syllables, incl. a character written in pinyin) |
--           unknown (missing, or placeholders only) |
--           unknown_syllable (equal but for placeholders, which match any one syllable) |
--           one_char (same length >= 2, one character and its sound differ) | differs
--   id      near (one digit or two adjacent digits apart) | conflict (both valid, further
--           apart: another person's ID) | unknown (an invalid or missing ID: no evidence)
--   sex     same | differs | unknown
--   place   address (the death record's 户籍地址 is the member's own, as the population
--           registry holds it) | village | township | district | elsewhere | unknown
-- What a level needs of one side alone (its ID's four parts, whether its syllables hold a
-- placeholder) is computed once per side in `sides`, not once per pair: u_sample_input
-- makes a million pairs of a few thousand sides.
-- Inputs: pair_input, match_sides.
create or replace temp table pair_levels as
with sides as (
    select side, key, name_key, surname, surname_syllable, given, given_syllables,
           written_in_latin, id_text, id_number is not null as id_valid,
           birth_date, birth_column, sex, township, county, village, address,
           list_contains(given_syllables, '?') as syl_placeholder,
           list_bool_and(list_transform(given_syllables, s -> s = '?')) as syl_placeholders_only,
           array_to_string(given_syllables, ' ') as syl_text,
           case when length(id_text) = 18 then left(id_text, 6) end as id_region,
           case when length(id_text) = 18 then substr(id_text, 7, 4) end as id_year,
           case when length(id_text) = 18 then substr(id_text, 11, 4) end as id_day,
           case when length(id_text) = 18 then right(id_text, 4) end as id_sequence
    from match_sides
    where (side = 'member' and key in (select member_key from pair_input))
       or (side = 'death' and key in (select evidence_id from pair_input))
),
pairs as (
    select p.member_key, p.evidence_id,
           m.name_key as m_name, d.name_key as d_name,
           m.surname as m_surname, d.surname as d_surname,
           m.surname_syllable as m_surname_syllable, d.surname_syllable as d_surname_syllable,
           m.given as m_given, d.given as d_given,
           m.given_syllables as m_syl, d.given_syllables as d_syl,
           m.syl_placeholder as m_syl_placeholder, d.syl_placeholder as d_syl_placeholder,
           m.syl_placeholders_only as m_syl_placeholders_only, d.syl_placeholders_only as d_syl_placeholders_only,
           m.syl_text as m_syl_text,
           m.id_region as m_id_region, d.id_region as d_id_region, m.id_year as m_id_year, d.id_year as d_id_year,
           m.id_day as m_id_day, d.id_day as d_id_day, m.id_sequence as m_id_sequence, d.id_sequence as d_id_sequence,
           d.written_in_latin,
           m.id_text as m_id, d.id_text as d_id,
           m.id_valid as m_id_valid, d.id_valid as d_id_valid,
           m.birth_date as m_birth, m.birth_column as m_birth_column, d.birth_date as d_birth,
           m.sex as m_sex, d.sex as d_sex,
           m.township, m.county, m.village, m.address as m_address, d.address
    from pair_input p
    join sides m on m.side = 'member' and m.key = p.member_key
    join sides d on d.side = 'death' and d.key = p.evidence_id
),
levels as (
    select
        member_key, evidence_id,
        case when m_birth is null or d_birth is null then 'unknown'
             when m_birth = d_birth then 'same'
             when m_birth_column = d_birth then 'column' else 'differs' end as birth,
        case when m_surname is null or d_surname is null or '?' in (m_surname, d_surname) then 'unknown'
             when m_surname = d_surname then 'same'
             when m_surname_syllable = d_surname_syllable then 'sound'
             else 'differs' end as surname,
        case when m_given = '' or d_given = '' then 'unknown'
             when m_given = d_given and not contains(m_given, '?') then 'same'
             when m_syl = d_syl and not m_syl_placeholder then 'sound'
             -- a given name of placeholders only says nothing but its length
             when m_syl_placeholders_only or d_syl_placeholders_only then 'unknown'
             -- both levels below need a syllable in common or a placeholder: a cheap test
             -- first, since most of the random pairs of u_sample_input share neither
             when not (list_has_any(m_syl, d_syl) or m_syl_placeholder or d_syl_placeholder)
                 then 'differs'
             when len(m_syl) = len(d_syl)
                  and list_bool_and(list_transform(range(1, len(m_syl) + 1),
                                    i -> m_syl[i] = d_syl[i] or m_syl[i] = '?' or d_syl[i] = '?'))
                 then 'unknown_syllable'
             when len(m_syl) = len(d_syl) and len(m_syl) >= 2
                  and length(m_given) = length(d_given)
                  and list_count(list_filter(range(1, len(m_syl) + 1),
                                 i -> m_syl[i] <> d_syl[i] and m_given[i] <> d_given[i])) = 1
                  and list_count(list_filter(range(1, len(m_syl) + 1),
                                 i -> m_given[i] <> d_given[i])) = 1
                 then 'one_char'
             else 'differs' end as given,
        case when m_id_region is not null and d_id_region is not null
                  -- one typo touches at most two of the four parts (region, year, month-day,
                  -- sequence): a cheap necessary test before the edit distance
                  and (m_id_region = d_id_region)::int + (m_id_year = d_id_year)::int
                      + (m_id_day = d_id_day)::int + (m_id_sequence = d_id_sequence)::int >= 2
                  and damerau_levenshtein(m_id, d_id) = 1 then 'near'
             when m_id_valid and d_id_valid and m_id <> d_id then 'conflict'
             else 'unknown' end as id,
        case when m_sex is null or d_sex is null then 'unknown'
             when m_sex = d_sex then 'same' else 'differs' end as sex,
        case when address is null or township is null then 'unknown'
             when address = m_address then 'address'
             when contains(address, township) and contains(address, village) then 'village'
             when contains(address, township) then 'township'
             when county is not null and contains(address, county) then 'district'
             else 'elsewhere' end as place,
        -- for term frequencies and detail
        strftime(case when m_birth_column = d_birth then m_birth_column else m_birth end, '%Y-%m-%d') as birth_value,
        m_birth_column is not null as birth_two_dates,
        m_surname as surname_value, m_surname_syllable as surname_sound_value,
        m_given as given_value, m_syl_text as given_sound_value, m_address as address_value,
        written_in_latin, d_name
    from pairs
)
select * from levels;
