-- disputed_cases: which of the given cases (registered as _cases) are now disputed — a village
-- denied registry-certain evidence; the console sends them to the township's 复核.
-- Inputs: _cases, cases.
select case_id from cases where status = 'disputed' and case_id in (select case_id from _cases) order by case_id;
