-- match_sides: both sides of fuzzy death matching in one shape, one row per roster member
-- (side = 'member', key = member_key) or per death record (side = 'death', key = evidence_id).
-- Names are compared on name_key (traditional/variant characters in one form, placeholders
-- as '?') and on their syllables (name_pinyin split; '?' is an unknown syllable).
-- A member's address is the 户籍地址 the population registry holds for their ID (the
-- same 户籍 system the police write theirs from); a death record's is its own.
-- A member's birth_date is the ID's (else a day-precise 出生日期); birth_column is the
-- roster's day-precise 出生日期 when it differs from the ID's (a registration error that
-- ID_ATTR_MISMATCH reports): a death record may follow either, and both are compared.
-- Excluded: members already found DECEASED_PAID, deaths after the run month, and death
-- records that name a DECEASED_PAID member by exact ID (that death is hers: it is not
-- evidence against anyone else, and never shared among namesakes).
-- Inputs: stg_roster, stg_population, stg_death_evidence, rule_hits.  Parameters: $month_end.
create or replace temp table match_sides as
with registered as (
    -- only the roster's IDs: a city's registry holds ten people for each member
    select id_number, min(address_key) as address_key
    from (select id_number, regexp_replace(address, '\s', '', 'g') as address_key from stg_population
          where id_number in (select id_number from stg_roster))
    where address_key <> ''
    group by id_number
),
paid as (
    select r.id_number
    from stg_roster r
    join rule_hits h on h.member_key = r.member_key and h.rule = 'DECEASED_PAID'
    where r.id_number is not null
),
members as (
    select 'member' as side, member_key as key, name, name_key,
           string_split(coalesce(name_pinyin, ''), ' ') as syllables,
           id_number, coalesce(id_number, id_clean) as id_text,
           coalesce(id_birth_date, case when birth_date_precision = 'day' then birth_date end) as birth_date,
           case when birth_date_precision = 'day' and id_birth_date is not null and birth_date <> id_birth_date
                then birth_date end as birth_column,
           coalesce(id_sex, sex) as sex, township, county, village, g.address_key as address
    from stg_roster
    left join registered g using (id_number)
    where member_key not in (select member_key from rule_hits where rule = 'DECEASED_PAID')
),
deaths as (
    select 'death', evidence_id, name, name_key,
           string_split(coalesce(name_pinyin, ''), ' '),
           id_number, coalesce(id_number, id_clean), birth_date, cast(null as date), sex,
           cast(null as varchar), cast(null as varchar), cast(null as varchar),
           regexp_replace(address, '\s', '', 'g')
    from stg_death_evidence
    where coalesce(death_date, $month_end) <= $month_end
      and (id_number is null or id_number not in (select id_number from paid))
),
both_sides as (
    select * from members
    union all
    select * from deaths
),
final as (
    select *,
           name_key[1] as surname,
           name_key[2:] as given,
           syllables[1] as surname_syllable,
           syllables[2:] as given_syllables,
           regexp_matches(name_key, '[A-Za-z]') as written_in_latin,
           length(id_text) = 18 as id_full_length
    from both_sides
)
select * from final;
