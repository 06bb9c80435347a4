-- recovery_events, columns added after the first release: where on a returned sheet an amount
-- stood (sheet, row_number) and the account that imported it (imported_by).
alter table recovery_events add column if not exists sheet varchar;
alter table recovery_events add column if not exists row_number integer;
alter table recovery_events add column if not exists imported_by varchar;
