"""Warehouse generations: the last few good warehouses, kept so a broken disk or a damaged
file does not lose the case history.

When a run swaps its working copy in, the warehouse it replaces is kept in the backups
folder (config `[backups]`, default `<warehouse>.backups/` beside it) if it opens and its
latest run is complete.  Keeping is a hard link when the folder is on the same disk: the
old file's blocks are no longer shared with the live warehouse (the run wrote a copy), so
this costs no copying and no extra space during the run.  The newest `keep` are kept.

`dibao backups list` shows them; `dibao backups restore N` checks generation N again,
keeps the current warehouse aside (as a generation, or as `*.damaged-*` when it no longer
opens) and puts N in its place, under the run lock.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.faults import RunFault


class WarehouseDamaged(RunFault):
    pass


IN_USE = "正被其他程序打开"
NO_RUNS = "没有任何已完成的运行"


@dataclass
class Generation:
    path: Path
    ok: bool
    problem: str = ""
    month: str = ""
    run_id: str = ""
    finished: dt.datetime | None = None
    runs: int = 0

    @property
    def size(self) -> int:
        return self.path.stat().st_size


# A DuckDB file is its main header and two database headers, then its blocks.
DUCKDB_HEADER_BYTES = 3 * 4096


def default_folder(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".backups")


def inspect(path: Path, *, thorough: bool = True) -> Generation:
    """Does `path` open, and is its latest run complete (a success with a finish time)?
    `thorough` hashes every column of every table, reading every block in use, so a
    truncated file is found (2.9 s of CPU for a township warehouse); otherwise only the
    catalogue, row counts and the file's length against the blocks DuckDB says it holds (a
    file cut short whose catalogue still reads) are checked (before every run and when keeping
    a generation), thoroughly when the file is shorter than its recorded block count."""
    try:
        con = warehouse.connect(path, read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the answer
        if "Could not set lock" in str(exc):
            return Generation(path, False, IN_USE)
        return Generation(path, False, f"无法打开（{type(exc).__name__}）")
    try:
        [(block_size, blocks, free)] = warehouse.fetch_sql(con, "generations/database_size",
                                                          {"catalog": warehouse.CATALOG})
        length = Path(path).stat().st_size
        if length < DUCKDB_HEADER_BYTES + block_size * (blocks - free):   # not even the blocks in use
            return Generation(path, False, "内容已损坏（文件比其记录的块数短，不完整）")
        # A checkpoint records the block count, then cuts the free blocks at the end off the
        # file: a sound file can be shorter than its count.  Only reading every block in use
        # tells it from a file cut short (rare: a checkpoint that freed the last blocks).
        thorough = thorough or length < DUCKDB_HEADER_BYTES + block_size * blocks
        latest = warehouse.query_sql(con, "generations/warehouse_state")
        for table in warehouse.query_sql(con, "generations/tables")["table_name"]:
            if thorough:
                warehouse.fetch_sql(con, "generations/read_every_block", fragments={"table": warehouse.ident(table)})
            else:
                warehouse.row_count(con, table)
    except Exception as exc:  # noqa: BLE001
        return Generation(path, False, f"内容已损坏（{type(exc).__name__}）")
    finally:
        con.close()
    if latest.empty:
        return Generation(path, False, NO_RUNS)
    row = latest.iloc[0]
    if row["status"] != "success" or pd.isna(row["finished"]):
        return Generation(path, False, f"最近一次运行 {row['run_id']} 未完成")
    return Generation(path, True, month=row["month"], run_id=row["run_id"],
                      finished=row["finished"].to_pydatetime(), runs=int(row["runs"]))


def check_opens(db_path: Path) -> None:
    """Stop a run before it starts when the live warehouse is damaged."""
    if not db_path.exists():
        return
    found = inspect(db_path, thorough=False)
    if found.problem == IN_USE:
        raise warehouse.WarehouseBusyError(f"数据库 {db_path} 正被其他程序（如复核笔记本）打开，请关闭后再运行。")
    if not found.ok and found.problem != NO_RUNS:
        raise WarehouseDamaged(
            f"数据库文件 {db_path} {found.problem}，可能是磁盘故障或复制不完整。本次未做任何修改。"
            f"请运行 dibao backups list 查看备份，用 dibao backups restore N 恢复最近的完好备份后重新运行。")


def keep(db_path: Path, folder: Path, count: int) -> None:
    """Keep the warehouse about to be replaced as a generation, then prune to `count`."""
    if count <= 0 or not db_path.exists():
        return
    found = inspect(db_path, thorough=False)   # a thorough check at restore
    if not found.ok:
        return        # nothing good to keep (a first run's empty warehouse, say)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{db_path.stem}-{found.finished:%Y%m%d-%H%M%S}-{found.month}.duckdb"
    if not target.exists():
        _link_or_copy(db_path, target)
    for old in list_paths(folder)[count:]:
        old.unlink(missing_ok=True)


def list_paths(folder: Path) -> list[Path]:
    """Newest first (the timestamp in the name, then the file's time)."""
    if not folder.is_dir():
        return []
    def newest(path: Path):
        stamp = re.search(r"-(\d{8}-\d{6})-\d{4}-\d{2}$", path.stem)
        return (stamp.group(1) if stamp else "", path.stat().st_mtime)

    return sorted(folder.glob("*.duckdb"), key=newest, reverse=True)


def list_generations(folder: Path) -> list[Generation]:
    return [inspect(p) for p in list_paths(folder)]


def restore(db_path: Path, folder: Path, number: int, keep_count: int) -> Generation:
    """Put generation `number` (1 = newest) in place of the warehouse; returns it."""
    with warehouse.run_lock(db_path):
        paths = list_paths(folder)
        if not 1 <= number <= len(paths):
            raise RunFault(f"没有编号为 {number} 的备份（{folder} 中共有 {len(paths)} 个）。"
                           "请先运行 dibao backups list 查看编号。")
        chosen = inspect(paths[number - 1])
        if not chosen.ok:
            raise WarehouseDamaged(f"备份 {chosen.path} {chosen.problem}，不能用于恢复；请选择另一个编号。")
        staging = db_path.with_name(f".{db_path.name}.restore-{os.getpid()}")
        shutil.copy2(chosen.path, staging)
        try:
            if not inspect(staging).ok:
                raise WarehouseDamaged(f"备份 {chosen.path} 复制后无法打开，磁盘可能有故障；请检查磁盘后重试。")
            if db_path.exists():
                current = inspect(db_path)
                if current.ok:
                    keep(db_path, folder, max(keep_count, number + 1))
                else:   # keep the damaged file for whoever investigates, out of the way
                    os.replace(db_path, db_path.with_name(f"{db_path.name}.damaged-{dt.datetime.now():%Y%m%d-%H%M%S}"))
            os.replace(staging, db_path)
            with contextlib.suppress(FileNotFoundError):
                db_path.with_name(db_path.name + ".wal").unlink()
        finally:
            with contextlib.suppress(FileNotFoundError):
                staging.unlink()
    return chosen


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        partial = target.with_name(target.name + ".partial")
        shutil.copy2(source, partial)
        os.replace(partial, target)
