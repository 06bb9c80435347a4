-- latest_roster_month: the latest month whose roster is kept (roster_months), the month a
-- recovery recorded by hand belongs to.
-- Inputs: roster_months.
select max(month) from roster_months
