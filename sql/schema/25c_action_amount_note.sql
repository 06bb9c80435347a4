-- actions.amount_note: 需重新核定 when no new amount is proposed (the roster lacks a member's own
-- 个人月保障金额, or no member stops and the household's size alone changed).
alter table actions add column if not exists amount_note varchar;
