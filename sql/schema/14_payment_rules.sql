-- payment_rules: which findings, once confirmed (属实), change a payment, and how.  Filled from
-- the rules' headers by flows/rules.py (sql/cases/payment_rules.sql) whenever rules run or
-- cases are followed up; created empty here so a warehouse that has not run yet has it.
create table if not exists payment_rules (rule varchar, action varchar, reason_zh varchar, scope varchar);
