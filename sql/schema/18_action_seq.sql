-- action_seq: the sequence action ids were once drawn from.  Ids are now numbered in the
-- households' order after the highest so far (sql/cases/actions/open_actions.sql): a
-- sequence drawn in a parallel select numbered the same month differently on each run.
drop sequence if exists action_seq;
