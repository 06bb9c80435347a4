-- exceptions.death_date_precision: 'day', or 'month' when the death record gives only
-- the month (2019年10月); exceptions.csv then shows death_date as 2019-10.
-- Added after the first warehouses were written, hence an ALTER that is a no-op later.
alter table exceptions add column if not exists death_date_precision varchar;
