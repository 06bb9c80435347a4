-- non_ascii_ids: the distinct raw IDs of raw_<source> (with whether the cell held a number)
-- whose cleaned text is not ASCII: a digit of another script, a letter NFKC or upper()
-- turn into ASCII.  normalize_id reads those in Python; SQL decides every other ID.
-- Filled in by flows/normalize/staging.py: {raw}, {nfkc_joins} (the _nfkc map, when the
-- column has values it covers), {id_number} (the column's NFKC form).
select distinct r.id_number, r._id_number_is_number
from {raw} r {nfkc_joins}
where id_non_ascii(id_text({id_number}));
