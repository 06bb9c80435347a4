-- exceptions.match_levels: on a DECEASED_SUSPECT finding, every comparison's level of the best
-- pair, sex included ('birth:same|surname:same|given:sound|id:unknown|sex:same|place:address');
-- what `dibao model fit` counts per comparison level.  No names or ID numbers: levels only.
alter table exceptions add column if not exists match_levels varchar;
