"""Faults of the machine, not of the data: disk full, no permission, read-only medium, out
of memory, a warehouse file that cannot be opened.  Each becomes a `RunFault` whose Chinese
message names the path, the cause and what to do; it never quotes a value of a row.

`explain(exc)` turns an exception into a `RunFault` (or None when it is none of these);
`check_space` refuses a run before it starts when the disk cannot hold what it will write.
The run's locations (warehouse, out folder) are registered with `run_locations` so that a
"disk full" without a file name can still say which disk and how much is free.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

import duckdb


class RunFault(RuntimeError):
    """The machine stopped the run; the message says what to do.  Never retried."""


class MemoryFault(RunFault):
    pass


# Errors worth a retry: the file or share was busy or briefly unreachable.
TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT, errno.ESTALE, errno.EIO,
                    errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH}

# DuckDB's words for a file whose blocks are missing or damaged.
DAMAGE_MARKERS = ("Could not read enough bytes", "Corrupt database file", "checksum", "not a valid DuckDB database")

_locations: dict[str, Path] = {}
_engine = None   # flows.config.EngineSettings of the run, for the out-of-memory message
_config_path: Path | None = None


@contextlib.contextmanager
def run_locations(**places: Path):
    """Name the run's folders (warehouse=..., out=...) for messages raised meanwhile."""
    previous = dict(_locations)
    _locations.update({k: Path(v) for k, v in places.items()})
    try:
        yield
    finally:
        _locations.clear()
        _locations.update(previous)


def use_engine(engine, config_path: Path | None) -> None:
    global _engine, _config_path
    _engine, _config_path = engine, config_path


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS and explain(exc) is None


def explain(exc: BaseException) -> RunFault | None:
    """The RunFault for a machine fault, else None."""
    if isinstance(exc, RunFault):
        return exc
    if isinstance(exc, MemoryError) or isinstance(exc, duckdb.OutOfMemoryException):
        return out_of_memory()
    if isinstance(exc, OSError) and exc.errno is not None:
        path = Path(exc.filename) if exc.filename else None
        return _os_fault(exc.errno, path)
    if isinstance(exc, duckdb.Error):
        text = str(exc)
        for marker, code in (("No space left on device", errno.ENOSPC), ("Permission denied", errno.EACCES),
                             ("Read-only file system", errno.EROFS), ("File too large", errno.EFBIG),
                             ("Disk quota exceeded", errno.EDQUOT)):
            if marker in text:
                return _os_fault(code, None)
        if "Out of Memory" in text or "out of memory" in text:
            return out_of_memory()
        if any(marker in text for marker in DAMAGE_MARKERS):
            where = _locations.get("warehouse", "数据库目录")
            return RunFault(f"数据库文件（{where} 中）读取时发现已损坏（{type(exc).__name__}），可能是磁盘故障。"
                            "本次未做任何修改。请运行 dibao backups list 查看备份，用 dibao backups restore N "
                            "恢复最近的完好备份后重新运行。")
    return None


def _os_fault(code: int, path: Path | None) -> RunFault | None:
    where = str(path) if path else _places_text()
    if code in (errno.ENOSPC, errno.EDQUOT):
        return RunFault(f"磁盘空间不足：写入 {where} 时磁盘已满（{_free_text(path)}）。"
                        "请清理该磁盘，或在配置文件中把 warehouse/out_dir 改到空间更大的磁盘后重新运行。")
    if code == errno.EFBIG:
        return RunFault(f"文件过大：写入 {where} 时超过了系统允许的单个文件大小上限（ulimit -f）。"
                        "请解除该限制或改用其他磁盘后重新运行。")
    if code == errno.EROFS:
        return RunFault(f"磁盘为只读：{where} 所在的磁盘（或U盘、网络共享）只能读不能写。"
                        "请换一个可写的位置（配置文件中的 warehouse/out_dir 或 --db/--out），或让管理员解除只读后重新运行。")
    if code in (errno.EACCES, errno.EPERM):
        return RunFault(f"没有权限：当前用户不能写入或读取 {where}。"
                        "请检查该文件/文件夹的权限（或换一个有权限的位置）后重新运行。")
    return None


def out_of_memory() -> MemoryFault:
    limit = getattr(_engine, "memory_limit", "") or "未设置（DuckDB 默认为内存的 80%）"
    config = f"（配置文件 {_config_path}）" if _config_path else ""
    return MemoryFault(f"内存不足：数据库引擎达到内存上限 [engine] memory_limit = {limit}{config}。"
                       "请在配置文件 [engine] 中调大 memory_limit、设置 temp_directory 为有空闲空间的磁盘"
                       "以便溢出到磁盘，或减少 threads，关闭其他占用内存的程序后重新运行。")


def _places_text() -> str:
    return "、".join(str(p) for p in _locations.values()) or "工作目录"


def _free_text(path: Path | None) -> str:
    places = [path] if path else list(_locations.values())
    parts = []
    for place in places:
        free = free_bytes(place)
        if free is not None:
            parts.append(f"{existing_parent(place)} 剩余 {megabytes(free)}")
    return "；".join(dict.fromkeys(parts)) or "剩余空间未知"


def existing_parent(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(existing_parent(path)).free
    except OSError:
        return None


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def tree_size(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


# What a run writes, relative to what it reads.  Measured at township scale (seed 3): 3.6 MB
# of inputs made an 18.4 MB warehouse from empty (5.1×) and a 0.74 MB out folder (0.20×).
WAREHOUSE_GROWTH_PER_INPUT_BYTE = 6.0
OUT_PER_INPUT_BYTE = 0.25
MARGIN_BYTES = 20_000_000


def check_space(db_path: Path, out_dir: Path, input_files: list[Path]) -> None:
    """Refuse the run before it starts when a disk cannot hold its working copies.

    The warehouse's disk holds, during a run, the live warehouse and its working copy (as
    large as it, growing with the inputs; after the swap the old one stays as a backup
    generation); the out folder's disk holds the new out folder beside the old one until
    the swap.
    """
    inputs = sum(tree_size(p) for p in input_files)
    db_size = tree_size(db_path) + tree_size(db_path.with_name(db_path.name + ".wal"))
    needs: dict[int, list] = {}   # st_dev -> [folder, bytes]
    for folder, amount in (
        (db_path.parent, db_size + int(inputs * WAREHOUSE_GROWTH_PER_INPUT_BYTE)),
        (out_dir.parent, max(tree_size(out_dir), int(inputs * OUT_PER_INPUT_BYTE))),
    ):
        anchor = existing_parent(folder)
        try:
            device = os.stat(anchor).st_dev
        except OSError:
            continue
        entry = needs.setdefault(device, [anchor, MARGIN_BYTES])
        entry[1] += amount
    for anchor, needed in needs.values():
        free = free_bytes(anchor)
        if free is not None and free < needed:
            raise RunFault(f"磁盘空间不足：{anchor} 所在磁盘剩余 {megabytes(free)}，本次运行估计需要约 "
                           f"{megabytes(needed)}（数据库工作副本、新输出目录及余量）。"
                           "请清理该磁盘，或在配置文件中把 warehouse/out_dir 改到空间更大的磁盘后重新运行。")
