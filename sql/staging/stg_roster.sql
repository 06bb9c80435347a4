-- stg_roster: the roster of benefit recipients, one row per household member, cleaned.
-- Inputs: norm_roster (every roster file, raw and normalised values side by side).
-- member_key numbers the rows of this run; person_key identifies a person across
-- months (the ID when valid, otherwise township + household + name).
create or replace table stg_roster as
with roster as (
    select * from norm_roster
),
final as (
    select
        row_number() over (order by file, sheet, row_number) as member_key,
        case when id_status = 'valid' then id_number
             else concat_ws('|', township, household_id, name) end as person_key,
        roster.*
    from roster
)
select * from final;
