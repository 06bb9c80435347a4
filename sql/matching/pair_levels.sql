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
-- Inputs: pair_input, match_sides.
create or replace temp table pair_levels as
with pairs as (
    select p.member_key, p.evidence_id,
           m.name_key as m_name, d.name_key as d_name,
           m.surname as m_surname, d.surname as d_surname,
           m.surname_syllable as m_surname_syllable, d.surname_syllable as d_surname_syllable,
           m.given as m_given, d.given as d_given,
           m.given_syllables as m_syl, d.given_syllables as d_syl,
           d.written_in_latin,
           m.id_text as m_id, d.id_text as d_id,
           m.id_number is not null as m_id_valid, d.id_number is not null as d_id_valid,
           m.birth_date as m_birth, m.birth_column as m_birth_column, d.birth_date as d_birth,
           m.sex as m_sex, d.sex as d_sex,
           m.township, m.county, m.village, m.address as m_address, d.address
    from pair_input p
    join match_sides m on m.side = 'member' and m.key = p.member_key
    join match_sides d on d.side = 'death' and d.key = p.evidence_id
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
             when m_syl = d_syl and not list_contains(m_syl, '?') then 'sound'
             -- a given name of placeholders only says nothing but its length
             when list_bool_and(list_transform(m_syl, s -> s = '?'))
                  or list_bool_and(list_transform(d_syl, s -> s = '?')) then 'unknown'
             -- both levels below need a syllable in common or a placeholder: a cheap test
             -- first, since most of the random pairs of u_sample_input share neither
             when not (list_has_any(m_syl, d_syl) or list_contains(m_syl, '?') or list_contains(d_syl, '?'))
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
        case when m_id is not null and d_id is not null and length(m_id) = 18 and length(d_id) = 18
                  -- one typo touches at most two of the four parts (region, year, month-day,
                  -- sequence): a cheap necessary test before the edit distance
                  and (left(m_id, 6) = left(d_id, 6))::int + (substr(m_id, 7, 4) = substr(d_id, 7, 4))::int
                      + (substr(m_id, 11, 4) = substr(d_id, 11, 4))::int + (right(m_id, 4) = right(d_id, 4))::int >= 2
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
        m_given as given_value, array_to_string(m_syl, ' ') as given_sound_value, m_address as address_value,
        written_in_latin, d_name
    from pairs
)
select * from levels;
