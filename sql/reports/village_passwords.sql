-- village_passwords: every village's workbook password (see sql/schema/15_village_passwords.sql).
-- Used by flows/reports/protection.py when writing protected workbooks and reading returns.
-- Parameters: none.
select place, password from village_passwords order by place
