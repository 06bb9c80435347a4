-- stg_population: the population registry (计生全员人口), one row per registered person.
-- Inputs: norm_population.  Kept as delivered; rules read status (正常 | 死亡 | 迁出).
-- Only the columns its readers take (the kind's narrow_columns, flows/sources/kinds.py):
-- the death rows, whole, are norm_population_deaths (stg_death_evidence).
-- A view, not a copy: at city scale the registry is ten million rows, and writing them
-- cost half a minute for nothing a rule needs.  Temporary, like norm_population: it lives
-- in the run's connection only.
create or replace temp view stg_population as
select * from norm_population;
