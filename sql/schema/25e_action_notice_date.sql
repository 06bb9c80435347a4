-- actions.notice_date: the day the 告知书 was first written.
alter table actions add column if not exists notice_date date;
