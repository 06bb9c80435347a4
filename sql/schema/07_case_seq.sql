-- case_seq: numbers for new case_ids (C000001, ...), never reused.
create sequence if not exists case_seq start 1;
