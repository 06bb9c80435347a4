-- pattern_answers: per evidence pattern of DECEASED_SUSPECT (the comparison levels a suspicion
-- rests on, as benchmarks/suspects.py counts them), how many suspicions found up to $month the
-- villages (or the township, where it decided) confirmed and denied: what the answers teach
-- about the model.  confirmation_rate = confirmed / (confirmed + denied), NULL before any.
-- township_decided: answers in force given by the township (复核, issue 24); awaiting_township:
-- a village's denial of registry-certain evidence, not counted until the township decides.
-- One row per pattern, the most frequent first.
-- Inputs: suspect_answers (exceptions, decisions).  Parameters: $month.
select evidence_pattern,
       count(*) as suspicions,
       count(*) filter (where answer = 'confirmed') as confirmed,
       count(*) filter (where answer = 'denied') as denied,
       count(*) filter (where answer = 'handled') as handled,
       count(*) filter (where answer = 'awaiting_township') as awaiting_township,
       count(*) filter (where answer is null) as unanswered,
       count(*) filter (where origin = 'township') as township_decided,
       round(count(*) filter (where answer = 'confirmed')
             / nullif(count(*) filter (where answer in ('confirmed', 'denied')), 0), 3) as confirmation_rate
from suspect_answers($month)
group by evidence_pattern
order by suspicions desc, evidence_pattern
