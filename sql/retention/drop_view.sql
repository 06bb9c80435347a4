-- drop_view: a view of the month's intermediate rows, dropped once the month is done
-- (flows/retention.py names it, qualified by the warehouse catalog and quoted by warehouse.ident).
drop view {view}
