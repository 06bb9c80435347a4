-- match_counts: the sizes behind the prior of fuzzy death matching: roster members and
-- death records still to match, and members this run already found dead by exact ID.
-- One row.  Inputs: match_sides, rule_hits.
select
    count(*) filter (where side = 'member') as members,
    count(*) filter (where side = 'death') as deaths,
    (select count(*) from rule_hits where rule = 'DECEASED_PAID') as exact_deaths
from match_sides;
