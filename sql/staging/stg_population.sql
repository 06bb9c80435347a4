-- stg_population: the population registry (计生全员人口), one row per registered person.
-- Inputs: norm_population.  Kept as delivered; rules read status (正常 | 死亡 | 迁出).
create or replace table stg_population as
select
    row_number() over (order by file, sheet, row_number) as population_key,
    norm_population.*
from norm_population;
