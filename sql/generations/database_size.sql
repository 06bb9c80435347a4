-- database_size: the block size, the number of blocks DuckDB records for the warehouse and how
-- many of them are free, so a file cut short (a failed copy, a full disk) is found by its length
-- even while its catalogue still reads (flows/generations.py).  Parameters: $catalog.
select block_size, total_blocks, free_blocks from pragma_database_size() where database_name = $catalog
