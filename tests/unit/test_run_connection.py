"""A run's steps share one connection (warehouse.run_connection); outside a run each opens its own."""
from __future__ import annotations

from flows import retention, warehouse


def tables(con) -> set[str]:
    return set(warehouse.query_sql(con, "retention/warehouse_tables", {"catalog": warehouse.CATALOG})["table_name"])


def test_steps_of_a_run_share_its_connection_and_its_temporary_tables(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.run_connection(db):
        first = warehouse.connect(db)
        first.execute("create temp table raw_roster as select 1 as x")
        first.close()                                      # a step's close: the run's connection stays open
        second = warehouse.connect(db, read_only=True)
        assert second.execute("select x from raw_roster").fetchall() == [(1,)]
        with warehouse.run_connection(db):                 # nested: the same connection
            assert warehouse.connect(db).execute("select count(*) from raw_roster").fetchone() == (1,)
        second.execute("create table kept as select 2 as y")
        assert "raw_roster" not in tables(second)         # temporary: not in the warehouse file
    con = warehouse.connect(db)                           # outside the run: its own connection
    try:
        assert tables(con) == {"kept"}
    finally:
        con.close()


def test_ending_the_run_connection_early_lets_the_file_be_rewritten(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.run_connection(db):
        warehouse.connect(db).execute("create table stg_roster as select 1 as x")
        warehouse.connect(db).execute("create table runs as select 1 as x")
        assert retention.forget_input_rows(db) == ["stg_roster"]   # compacts: the run's connection is closed first
        con = warehouse.connect(db)
        try:
            assert tables(con) == {"runs"}
        finally:
            con.close()


def test_input_rows_an_earlier_version_stored_are_dropped(tmp_path):
    db = tmp_path / "w.duckdb"
    con = warehouse.connect(db)
    try:
        con.execute("create table norm_population as select 1 as x")
        con.execute("create table raw_roster as select 1 as x")
        con.execute("create view stg_population as select * from norm_population")
        con.execute("create table stg_roster as select 1 as x")
        retention.forget_stored_inputs(con)
        assert tables(con) == {"stg_roster"}
        assert warehouse.query_sql(con, "retention/warehouse_views", {"catalog": warehouse.CATALOG}).empty
    finally:
        con.close()


def test_a_stored_table_is_dropped_not_the_runs_temporary_one_of_the_same_name(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.run_connection(db):
        con = warehouse.connect(db)
        con.execute("create table raw_roster as select 1 as x")          # as an earlier version stored it
        con.execute("create temp table raw_roster as select 2 as x")     # this run's
        retention.forget_stored_inputs(con)
        assert "raw_roster" not in tables(con)
        assert con.execute("select x from raw_roster").fetchall() == [(2,)]


def compressions(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(f"select distinct compression from pragma_storage_info('{table}') "
                                      "where segment_type = 'VARCHAR'").fetchall()}


def test_a_run_that_keeps_less_writes_uncompressed_and_leaves_its_file_compressed(tmp_path):
    """compressed=False: the run's tables are written as they are (faster); keep less rewrites
    the file with DuckDB's compression, so what is kept is stored as before."""
    db = tmp_path / "w.duckdb"
    rows = "select 'village ' || (range % 7) as v from range(300000)"
    with warehouse.run_connection(db, compressed=False):
        con = warehouse.connect(db)
        con.execute(f"create table stg_roster as {rows}")
        con.execute(f"create table runs as {rows}")
        con.execute("checkpoint")
        assert compressions(con, "stg_roster") == compressions(con, "runs") == {"Uncompressed"}
        assert retention.forget_input_rows(db) == ["stg_roster"]
    con = warehouse.connect(db)
    try:
        assert "Uncompressed" not in compressions(con, "runs")
        assert con.execute("select count(*), count(distinct v) from runs").fetchone() == (300000, 7)
    finally:
        con.close()
    with warehouse.run_connection(db):                   # the default: compressed as always
        con = warehouse.connect(db)
        con.execute(f"create table stg_roster as {rows}")
        con.execute("checkpoint")
        assert "Uncompressed" not in compressions(con, "stg_roster")
