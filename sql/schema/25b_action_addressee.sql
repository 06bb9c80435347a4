-- actions.addressee: whom the 告知书 is addressed to — the 户主 when the 户主 stays, else the
-- next member (配偶, 子女, …), else 家属/代领人 when no member remains.  Never a person who stops.
alter table actions add column if not exists addressee varchar;
