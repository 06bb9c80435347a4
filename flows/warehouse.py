"""The one place that talks to DuckDB: connect, run a named sql/ file, swap a run in.

A run never writes the live warehouse directly.  It works on a copy and the copy
replaces the warehouse only when everything succeeded, so a failed or killed run
leaves the warehouse exactly as it was.  A lock file keeps two runs apart.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd

from flows import engine, faults, keys
from flows.config import SQL_DIR
from flows.errors import write_traceback


class SqlError(RuntimeError):
    """A statement from sql/ failed; the message names the file, never row values."""


class WarehouseBusyError(RuntimeError):
    pass


WAREHOUSE_KEY = object()  # connect()'s default: the key from flows.keys
CATALOG = "warehouse"


def connect(path: Path | str, *, read_only: bool = False,
            key: str | None | object = WAREHOUSE_KEY) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is the warehouse at `path`, encrypted with the
    warehouse key (`key=None` opens a plaintext file: only `dibao key migrate` does).
    While a run holds `path` (run_connection), the run's connection, whose close() does nothing."""
    if str(path) == ":memory:":            # a scratch database (unit tests): nothing at rest
        return apply_engine_settings(engine.prepare(duckdb.connect(":memory:")))
    path = Path(path)
    if key is WAREHOUSE_KEY:
        with _runs_lock:
            shared = _runs.get(path.resolve())
        if shared is not None:
            return _Borrowed(shared)
    return _open(path, read_only, key)


def _open(path: Path, read_only: bool, key: str | None | object) -> duckdb.DuckDBPyConnection:
    if key is WAREHOUSE_KEY:
        key = keys.warehouse_key()
    con = engine.prepare(duckdb.connect(":memory:"))
    options = ["read_only"] if read_only else []
    if key is not None:
        engine.load(con, "httpfs")  # DuckDB writes encrypted files securely only with httpfs loaded
        options.append(f"encryption_key {sql_literal(key)}")
        # Spilled intermediate results are rows of people too: encrypted, beside the warehouse.
        con.execute("set temp_file_encryption = true")
    con.execute(f"set temp_directory = {sql_literal(str(path.with_name('.' + path.name + '.tmp')))}")
    try:
        con.execute(f"attach {sql_literal(str(path))} as {CATALOG} ({', '.join(options)})" if options
                    else f"attach {sql_literal(str(path))} as {CATALOG}")
        con.execute(f"use {CATALOG}")
    except duckdb.Error as exc:
        con.close()
        raise _open_error(path, str(exc), key is not None) from None
    return apply_engine_settings(con)


# The connection of each run in progress, by its working copy's resolved path (see run_connection).
_runs: dict[Path, duckdb.DuckDBPyConnection] = {}
_runs_lock = threading.Lock()   # the city's in-process counties run in threads, each on its own copy


@contextlib.contextmanager
def run_connection(path: Path, *, compressed: bool = True) -> Iterator[None]:
    """One connection for every step of a run on the working copy at `path`.

    Opening one costs ≈ 65 ms (httpfs, attaching the encrypted file) and closing it
    checkpoints the file, so the steps share one: while this context is open, every
    connect(path) returns it, and close() on what connect returned does nothing.  It is
    closed (checkpointed) when the context ends, before the working copy is swapped in,
    or earlier by end_run_connection.  The steps' TEMP tables (raw_<source>, norm_<kind>)
    live as long as it does.  Steps run one after another in the flow's thread; nested
    contexts on the same path share the outer one.  Outside a run, connect opens its own.
    `compressed=False` writes the run's tables without DuckDB's compression (force_compression):
    for a run whose keep-less step rewrites the file at its end (retention.compact, compressed
    then), so the staged tables it drops are never compressed at all: analysing and compressing
    a city's 1M roster rows cost more than writing them (stg_roster 10.5 -> 4.7 s)."""
    key = Path(path).resolve()
    with _runs_lock:
        nested = key in _runs
    if nested:
        yield
        return
    con = _open(Path(path), False, WAREHOUSE_KEY)
    if not compressed:
        set_option(con, "force_compression", "uncompressed")
    with _runs_lock:
        _runs[key] = con
    try:
        yield
    finally:
        end_run_connection(path)


def end_run_connection(path: Path) -> None:
    """Close the run's connection to `path` now, if it is open (before the file is rewritten:
    retention.compact); later connect(path) calls open their own."""
    with _runs_lock:
        con = _runs.pop(Path(path).resolve(), None)
    if con is not None:
        con.close()


class _Borrowed:
    """A run's connection as a step sees it: everything but close(), which is the run's."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def __getattr__(self, name: str):
        return getattr(self._con, name)

    def close(self) -> None:
        pass


def sql_literal(text: str) -> str:
    """A quoted SQL string, for the few statements that take no parameters (ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def _open_error(path: Path, message: str, with_key: bool) -> Exception:
    """DuckDB's reason, in Chinese, saying what to do; never the key."""
    if "Wrong encryption key" in message:
        if keys.is_demo_key(keys.key_file()) and not os.environ.get(keys.KEY_ENV):
            return keys.WarehouseKeyError(
                f"数据库 {path} 不能用示例密钥 {keys.key_file()} 打开：示例密钥只能打开示例数据库"
                "（data/demo/warehouse.duckdb）。数据库未做任何改动。")
        return keys.WarehouseKeyError(
            f"数据库 {path} 的密钥不正确：请使用创建该数据库时的密钥（环境变量 {keys.KEY_ENV} "
            f"或密钥文件 {keys.key_file()}）。{_demo_hint(path)}数据库未做任何改动。")
    if "without a key" in message:
        return keys.WarehouseKeyError(f"数据库 {path} 已加密，需要密钥才能打开。")
    if "is not encrypted" in message and with_key:
        return keys.PlaintextWarehouseError(
            f"数据库 {path} 尚未加密：请先运行 dibao key migrate --db {path} 将其转为加密数据库。")
    return keys.WarehouseKeyError(f"无法打开数据库 {path}：{message.splitlines()[0][:200]}")


def _demo_hint(path: Path) -> str:
    """The demo's warehouse opens only with the demo's key, which its config names."""
    from flows.config import DEMO_CONFIG, load_settings

    try:
        demo = load_settings(DEMO_CONFIG)
    except Exception:   # a broken demo config must not hide the key message
        return ""
    if demo.warehouse.parent.resolve() != path.parent.resolve():   # the warehouse or a working copy beside it
        return ""
    return (f"这是示例数据库，它有自己的密钥 {demo.key_file}（由 make demo 创建）："
            "请在命令后加上 --config configs/demo.toml。")


_engine_settings = None   # flows.config.EngineSettings of this process's run, see use_engine


def use_engine(settings) -> None:
    """Apply `settings.engine` ([engine] memory_limit, temp_directory, threads) to every
    connection from now on; a run calls this once with its settings."""
    global _engine_settings
    _engine_settings = settings.engine
    faults.use_engine(settings.engine, settings.config_path)


def apply_engine_settings(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    chosen = _engine_settings
    if chosen is None:
        return con
    if chosen.memory_limit:
        set_option(con, "memory_limit", chosen.memory_limit)
    if chosen.temp_directory:
        Path(chosen.temp_directory).mkdir(parents=True, exist_ok=True)
        con.execute("set temp_directory = $dir", {"dir": chosen.temp_directory})
    if chosen.threads:
        set_option(con, "threads", int(chosen.threads))
    return con


def set_option(con: duckdb.DuckDBPyConnection, option: str, value: str | int) -> None:
    """`set option = value` (DuckDB takes no parameters in SET): a name of ours, a value quoted here."""
    if not re.fullmatch(r"[a-z_]+", option):
        raise ValueError(f"not a DuckDB option name: {option!r}")
    con.execute(f"set {option} = {value if isinstance(value, int) else sql_literal(str(value))}")


def copy_database(con: duckdb.DuckDBPyConnection, target: Path, key: str | None) -> None:
    """The warehouse `con` has open, copied into a new file at `target` (encrypted with `key`;
    plaintext when None).  DuckDB reuses freed blocks but does not wipe them: a copy does."""
    options = f" (encryption_key {sql_literal(key)})" if key is not None else ""
    con.execute(f"attach {sql_literal(str(target))} as _copy{options}")
    try:
        con.execute(f"copy from database {CATALOG} to _copy")
    finally:
        con.execute("detach _copy")


def sql_text(name: str, fragments: dict[str, str] | None = None) -> str:
    """The text of sql/<name>.sql, e.g. 'rules/deceased_paid', with its `{fragment}`s
    filled in (a template: identifiers and column lists that depend on a source's fields)."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return text.format(**fragments) if fragments else text


def sql_names(folder: str) -> list[str]:
    return sorted(f"{folder}/{p.stem}" for p in (SQL_DIR / folder).glob("*.sql"))


def ident(name: str) -> str:
    """A quoted identifier (a table or column named after a source or a field)."""
    return '"' + name.replace('"', '""') + '"'


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, *, prefix: str = "",
            fragments: dict[str, str] | None = None, raw_errors: bool = False) -> None:
    """Execute one sql/ file with named parameters ($month_end, ...); `prefix` turns a
    rule's SELECT into an INSERT; `fragments` fill a template's `{names}` (see sql_text).
    `raw_errors`: DuckDB's own error reaches the caller, who expects it and handles it (a
    CSV file that is not UTF-8 after all)."""
    _execute(con, name, prefix + sql_text(name, fragments), params, raw_errors)


def query_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, *,
              fragments: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows of one sql/ query as a DataFrame."""
    return _execute(con, name, sql_text(name, fragments), params).df()


def fetch_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, *,
              fragments: dict[str, str] | None = None) -> list[tuple]:
    """The rows of one sql/ query as tuples (a count, a list of distinct values)."""
    return _execute(con, name, sql_text(name, fragments), params).fetchall()


def _execute(con: duckdb.DuckDBPyConnection, name: str, text: str, params: dict | None, raw_errors: bool = False):
    used = _used_params(text, params)
    try:
        return con.execute(text, used)
    except duckdb.Error as exc:
        if raw_errors:
            raise
        raise _sql_error(name, exc) from None


def _sql_error(name: str, exc: duckdb.Error) -> Exception:
    # DuckDB quotes offending values (a name that failed a cast, say): the message goes
    # to a private log file, the error names only the statement.
    detail = write_traceback(f"sql/{name}.sql")
    fault = faults.explain(exc)   # out of memory, disk full: the cause, not the statement
    if fault is not None:
        return fault
    return SqlError(f"sql/{name}.sql 执行失败：{type(exc).__name__}（详细信息见 {detail}）")


def _used_params(text: str, params: dict | None) -> dict:
    """DuckDB refuses parameters a statement does not use; pass only the ones it names."""
    code = re.sub(r"--[^\n]*", "", text)  # a parameter named in a header comment is not used
    return {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", code)}


def drop_temporary_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop this connection's temporary tables and views; returns their names."""
    found = fetch_sql(con, "warehouse/temporary_objects")
    for kind, name in found:
        run_sql(con, "warehouse/drop_temporary", fragments={"kind": kind, "name": ident(name)})
    return [name for _, name in found]


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """How many rows `table` holds."""
    return int(fetch_sql(con, "warehouse/row_count", fragments={"table": ident(table)})[0][0])


def register_table(con: duckdb.DuckDBPyConnection, table: str, data, *, temp: bool = True) -> None:
    """Materialise an Arrow table or DataFrame as `table` (temporary by default: a map of
    distinct values, a sheet's cells)."""
    con.register("_frame", data)
    try:
        run_sql(con, "warehouse/temp_table" if temp else "warehouse/table", fragments={"table": ident(table)})
    finally:
        con.unregister("_frame")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name in sql_names("schema"):
        run_sql(con, name)


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Materialise a DataFrame as a table (staging and raw tables are rebuilt each run)."""
    register_table(con, table, frame, temp=False)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append a DataFrame's rows to `table`, matching columns by name."""
    con.register("_frame", frame)
    try:
        run_sql(con, "warehouse/insert_frame", fragments={"table": ident(table)})
    finally:
        con.unregister("_frame")


@contextlib.contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """Refuse a second run on the same warehouse instead of interleaving with it."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusyError(
                f"另一个对账任务正在使用数据库 {db_path.name}，请等待其完成后再运行。"
            ) from None
        yield
    finally:
        handle.close()


@contextlib.contextmanager
def working_copy(db_path: Path, before_swap: Callable[[], None] | None = None) -> Iterator[Path]:
    """Yield a private copy of the warehouse; on success it atomically replaces the original
    (after `before_swap`, which keeps the original as a generation)."""
    work = db_path.with_name(f".{db_path.name}.run-{os.getpid()}")
    _remove(work)
    if db_path.exists():
        shutil.copy2(db_path, work)
        wal = db_path.with_name(db_path.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, work.with_name(work.name + ".wal"))
    try:
        yield work
        if before_swap is not None:
            before_swap()
        os.replace(work, db_path)
        _remove(db_path.with_name(db_path.name + ".wal"))
    finally:
        _remove(work)


def clear_stale_copies(db_path: Path) -> None:
    """Copies left by a killed run are garbage; only call while holding the run lock."""
    for stale in db_path.parent.glob(f".{db_path.name}.run-*"):
        _remove(stale)


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
