-- term_frequencies: how common each value is among the people of this run (roster members
-- and death records together), for the Fellegi–Sunter u of an agreement on that value:
-- two different people agree on a birth date, surname or given name about as often as the
-- value is common (1 January among older people; 王, 芬; the address of a 敬老院).  One row per (comparison, value):
-- people = how many records carry it, tf = people / all records.
-- Inputs: match_sides.
create or replace temp table term_frequencies as
with values_of as (
    select 'birth' as comparison, strftime(birth_date, '%Y-%m-%d') as value from match_sides where birth_date is not null
    union all
    select 'surname', surname from match_sides where surname is not null and surname <> '?'
    union all
    select 'surname_sound', surname_syllable from match_sides where surname_syllable not in ('', '?')
    union all
    select 'given', given from match_sides where given <> '' and not contains(given, '?')
    union all
    select 'given_sound', array_to_string(given_syllables, ' ') from match_sides
    where len(given_syllables) > 0 and not list_contains(given_syllables, '?')
    union all
    -- a 敬老院 or a big block of flats is many people's 户籍地址
    select 'address', address from match_sides where address is not null
),
counted as (
    select comparison, value, count(*) as people from values_of group by all
),
final as (
    select comparison, value, people,
           people / (select count(*) from match_sides) as tf
    from counted
)
select * from final;
