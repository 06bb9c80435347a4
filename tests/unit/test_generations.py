"""generations.inspect: a sound warehouse is not taken for a damaged one, a cut one is."""
from __future__ import annotations

import datetime as dt

from flows import generations, warehouse


def _warehouse_with_free_blocks_cut_off(db) -> None:
    """A finished run, then a checkpoint that frees the last blocks: DuckDB records the block
    count in the header, then cuts those blocks off the file's end."""
    con = warehouse.connect(db)
    try:
        warehouse.ensure_schema(con)
        con.execute("insert into runs values ('r1', '2020-05', $t, $t, 'success', 'test', 'x', 0, '{}')",
                    {"t": dt.datetime(2020, 6, 1)})
        con.execute("create table stg_roster as select range as x, 'row ' || range as y from range(2000000)")
        con.execute("checkpoint")
    finally:
        con.close()
    con = warehouse.connect(db)
    try:
        con.execute("drop table stg_roster")
        con.execute("checkpoint")
        con.execute("insert into runs values ('r0', '2020-04', $t, $t, 'success', 'test', 'x', 0, '{}')",
                    {"t": dt.datetime(2020, 5, 1)})
        con.execute("checkpoint")
    finally:
        con.close()


def test_a_sound_warehouse_whose_free_blocks_were_cut_off_is_not_called_damaged(tmp_path):
    db = tmp_path / "w.duckdb"
    _warehouse_with_free_blocks_cut_off(db)
    con = warehouse.connect(db, read_only=True)
    try:
        [(block_size, blocks, free)] = warehouse.fetch_sql(con, "generations/database_size",
                                                          {"catalog": warehouse.CATALOG})
    finally:
        con.close()
    length = db.stat().st_size
    assert length < generations.DUCKDB_HEADER_BYTES + block_size * blocks      # the case itself
    found = generations.inspect(db, thorough=False)
    assert found.ok, found.problem
    generations.check_opens(db)                                                 # a run may start

    with open(db, "r+b") as handle:                                             # now really cut short
        handle.truncate(length - block_size)
    assert not generations.inspect(db, thorough=False).ok
