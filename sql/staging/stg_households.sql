-- stg_households: one row per roster household (township + 户编号).
-- Inputs: stg_roster.  head_member_key is the row household-level findings are shown
-- on: the member whose 与户主关系 is 户主/本人, else the first member listed.
create or replace table stg_households as
with members as (
    select *, relation in ('户主', '本人') as is_head from stg_roster
),
final as (
    select
        township,
        household_id,
        any_value(village order by is_head desc, member_key) as village,
        arg_min(member_key, (not is_head, member_key)) as head_member_key,
        count(*) as roster_members,
        max(household_size) as declared_size,
        count(distinct household_size) as declared_size_variants,
        min(gradual_exit_month) as gradual_exit_month,
        string_agg(distinct benefit_type, '、') as benefit_types
    from members
    group by township, household_id
)
select * from final;
