-- checkpoint: write what a step changed into the file, compressed and with statistics.  A run's
-- steps share one connection (flows/warehouse.run_connection), so nothing else checkpoints
-- between them; the next step's queries are slower on tables never checkpointed.
checkpoint;
