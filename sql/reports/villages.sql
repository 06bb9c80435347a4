-- villages: every (township, village) on this month's roster, so villages without
-- findings can get their 无异常确认表.  Inputs: stg_roster.
select distinct township, village from stg_roster order by township, village
