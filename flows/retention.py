"""Keep less: after a successful run the warehouse forgets the month's copies of input rows.

A run reads every roster, death and population row into raw_* and norm_* tables, which
are temporary (in the run's connection, never in the file), and stg_* tables, which are
written; the rules need them, later months do not (each run rebuilds them from its own
files).  What stays is listed in KEPT_TABLES, with the reason.  The warehouse is then
rewritten into a fresh file, so that the dropped rows do not linger in its free blocks.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flows import keys, warehouse

# Tables a run builds that later months, `dibao returns`, the notebook and the reports do
# not read.  Each run rebuilds them from its own input files.
INTERMEDIATE_PREFIXES = ("stg_", "suspect_")
# Written into the file by earlier versions (a county's warehouse kept them); now temporary.
STORED_INPUT_PREFIXES = ("raw_", "norm_")
STORED_INPUT_VIEWS = ("stg_population",)
INTERMEDIATE_TABLES = ("rule_hits",
                       # stored by runs before fuzzy matching's working tables became temporary
                       "match_sides", "id_candidates", "term_frequencies", "pair_input", "pair_levels", "match_u")
# Kept, and why (the README lists the same):
KEPT_TABLES = {
    "runs": "every run: lineage of the reconciliation itself",
    "run_inputs": "file names and sha256 of every input, for audit",
    "audit_trail": "who ran, imported or exported which files, when",
    "source_deliveries": "rows per source and township: next month's source-health check compares with it",
    "rejects": "the month's unreadable values, listed in rejects.csv and the notebook",
    "exceptions": "every finding of every month: cases, returns, the notebook and the next month's sheets",
    "cases": "a finding across months and its status, so a decision is not lost",
    "decisions": "核实结果 from returned sheets and the notebook",
    "ledger_entries": "stable 台账编号 of poverty-registry people",
    "ledger_answers": "villages' answers on returned ledgers",
    "stg_poverty": "narrowed to person_key, township, village, household_type: returned ledgers are checked against it",
    "rule_catalogue": "rule names and order (no personal data)",
}


def forget_input_rows(db_path: Path) -> list[str]:
    """Drop the run's intermediate tables and compact the file; returns what was dropped."""
    con = warehouse.connect(db_path)
    try:
        tables = warehouse.query_sql(con, "retention/warehouse_tables",
                                     {"catalog": warehouse.CATALOG})["table_name"].tolist()
        if "stg_poverty" in tables:
            warehouse.run_sql(con, "retention/ledger_scope")
        dropped = [t for t in tables if t != "stg_poverty"
                   and (t.startswith(INTERMEDIATE_PREFIXES) or t in INTERMEDIATE_TABLES)]
        for table in dropped:
            warehouse.run_sql(con, "retention/drop_table", fragments={"table": stored(table)})
    finally:
        con.close()
    compact(db_path)
    return dropped


def forget_stored_inputs(con) -> None:
    """Drop the raw_*, norm_* tables and the stg_population view an earlier version stored in
    the warehouse: a run's own are temporary and would only hide them."""
    views = warehouse.query_sql(con, "retention/warehouse_views", {"catalog": warehouse.CATALOG})["view_name"]
    for view in (v for v in views if v in STORED_INPUT_VIEWS):   # before the tables they read
        warehouse.run_sql(con, "retention/drop_view", fragments={"view": stored(view)})
    tables = warehouse.query_sql(con, "retention/warehouse_tables", {"catalog": warehouse.CATALOG})["table_name"]
    for table in (t for t in tables if t.startswith(STORED_INPUT_PREFIXES)):
        warehouse.run_sql(con, "retention/drop_table", fragments={"table": stored(table)})


def stored(name: str) -> str:
    """`name` in the warehouse file, qualified: a run's temporary table or view of the same
    name (its connection is shared by every step) must not be dropped in its place."""
    return f"{warehouse.ident(warehouse.CATALOG)}.{warehouse.ident(name)}"


def compact(db_path: Path) -> None:
    """Rewrite the warehouse into a new file (same key) and put it in the old one's place:
    DuckDB reuses freed blocks but does not wipe them."""
    warehouse.end_run_connection(db_path)   # the last step of a run: its connection must not outlive the file
    fresh = db_path.with_name(f".{db_path.name}.compact-{os.getpid()}")
    _remove(fresh)
    con = warehouse.connect(db_path)
    try:
        warehouse.copy_database(con, fresh, keys.warehouse_key())
    except BaseException:
        _remove(fresh)
        raise
    finally:
        con.close()
    os.replace(fresh, db_path)
    _remove(db_path.with_name(db_path.name + ".wal"))


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
