-- drop_norm: one staged registry's norm_<kind> table, once source health has read it: nothing
-- after reads it, and the run's connection would hold it (in memory, or in spill files) while
-- matching needs the memory.  Filled in by flows/pipeline.py: {table}.
drop table if exists temp.{table};
