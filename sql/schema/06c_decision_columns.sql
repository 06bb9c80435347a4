-- decisions, columns added after the first release (a warehouse of an earlier version gains them).
-- choice: on a 重复享受 (DUPLICATE_BENEFIT) listing, which listing the answer keeps or stops:
--   停发此处 (stop this listing) | 保留此处 (keep this listing); NULL on every other rule.
--   Only a 停发此处 opens a 停发 action, so a person answered on all listings keeps one payment.
-- origin: village (a returned sheet) | township (the office: `dibao decide`, `review.decide`,
--   `dibao settle`).  A village reports; where the registry says otherwise the township decides.
-- sheet, row_number: where on the returned file the answer stood; imported_by: the account that
--   ran `dibao returns`; evidence: what a township decision rests on (本人到场核验 2020-06-12, …).
alter table decisions add column if not exists choice varchar;
alter table decisions add column if not exists origin varchar;
alter table decisions add column if not exists sheet varchar;
alter table decisions add column if not exists row_number integer;
alter table decisions add column if not exists imported_by varchar;
alter table decisions add column if not exists evidence varchar;
