-- drop_temporary: one temporary table or view of this connection ({kind} is table or view,
-- {name} quoted by warehouse.ident; the temp catalog is named so a stored one is never hit).
drop {kind} if exists temp.main.{name}
