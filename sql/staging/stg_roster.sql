-- stg_roster: the roster of benefit recipients, one row per household member, cleaned.
-- Inputs: norm_roster (every roster file, raw and normalised values side by side).
-- member_key numbers the rows of this run; person_key identifies a person's listing
-- across months: township + household + (the ID when valid, otherwise the name).  The
-- household is part of it so that a person listed twice (DUPLICATE_BENEFIT) is two cases.
create or replace table stg_roster as
with roster as (
    select * from norm_roster
),
final as (
    select
        row_number() over (order by file, sheet, row_number) as member_key,
        concat_ws('|', township, household_id, case when id_status = 'valid' then id_number else name end)
            as person_key,
        roster.*
    from roster
)
select * from final;
