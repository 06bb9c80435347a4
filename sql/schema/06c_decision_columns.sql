-- decisions, columns added after the first release (a warehouse of an earlier version gains them).
-- choice: on a 重复享受 (DUPLICATE_BENEFIT) listing, which listing the answer keeps or stops:
--   停发此处 (stop this listing) | 保留此处 (keep this listing); NULL on every other rule.
--   Only a 停发此处 opens a 停发 action, so a person answered on all listings keeps one payment.
alter table decisions add column if not exists choice varchar;
