-- answered_levels: per comparison level, how many DECEASED_SUSPECT suspicions found up to $month
-- were confirmed (属实: the same person, dead) and denied (不属实) by the answer in force on
-- them — the counts `dibao model fit` turns into m (flows/matching/model.py).  A suspicion's
-- levels are its match_levels ('birth:same|surname:same|…'); 已处理 says nothing about identity
-- and a village's denial awaiting the township (registry-certain evidence) is not counted.
-- One row per (comparison, level) seen on an answered suspicion.
-- Inputs: suspect_answers (exceptions, decisions).  Parameters: $month.
with answered as (
    select answer, unnest(string_split(match_levels, '|')) as part
    from suspect_answers($month)
    where answer in ('confirmed', 'denied') and match_levels is not null
)
select split_part(part, ':', 1) as comparison,
       split_part(part, ':', 2) as level,
       count(*) filter (where answer = 'confirmed') as confirmed,
       count(*) filter (where answer = 'denied') as denied
from answered
group by all
order by comparison, level
