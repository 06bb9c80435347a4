-- action_seq: numbers for new action_ids (A000001, ...), never reused.
create sequence if not exists action_seq start 1;
