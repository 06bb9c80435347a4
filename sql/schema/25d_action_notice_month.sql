-- actions.notice_month: the month whose papers first carried the action's 告知书 (issued once;
-- a later printing of that month's papers is a 补发 with notice_date).
alter table actions add column if not exists notice_month varchar;
