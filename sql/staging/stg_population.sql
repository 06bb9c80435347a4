-- stg_population: the population registry (计生全员人口), one row per registered person.
-- Inputs: norm_population.  Kept as delivered; rules read status (正常 | 死亡 | 迁出).
-- A view, not a copy: at city scale the registry is ten million rows, and writing them a
-- second time cost half a minute for nothing a rule needs.
create or replace view stg_population as
select * from norm_population;
