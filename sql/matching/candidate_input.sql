-- candidate_input: the blocked candidate pairs, as the input of pair_levels.
-- Inputs: suspect_candidates.
create or replace table pair_input as
select member_key, evidence_id from suspect_candidates;
