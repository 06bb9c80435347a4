-- stg_population: the population registry (计生全员人口), one row per registered person.
-- Inputs: norm_population.  Kept as delivered; rules read status (正常 | 死亡 | 迁出).
-- population_key numbers the rows by file, sheet and row; only the keys are sorted and
-- joined back by rowid (sorting the whole wide table cost twice as much at district scale).
create or replace table stg_population as
with keys as (
    select rowid as population_rowid,
           row_number() over (order by file, sheet, row_number) as population_key
    from norm_population
),
final as (
    select keys.population_key, norm_population.*
    from norm_population
    join keys on keys.population_rowid = norm_population.rowid
)
select * from final;
