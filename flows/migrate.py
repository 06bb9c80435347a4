"""`dibao key migrate`: a plaintext warehouse becomes an encrypted one.

The encrypted copy is written beside the old file, reopened with the key and compared
with the original table by table (row count and a checksum of every row's contents);
only then does it replace the old file.  Any difference leaves the old file untouched.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flows import engine, warehouse
from flows.keys import PlaintextWarehouseError, WarehouseKeyError


def is_encrypted(db_path: Path) -> bool:
    """True when the file opens with the warehouse key; False when it is plaintext."""
    try:
        warehouse.connect(db_path, read_only=True).close()
        return True
    except PlaintextWarehouseError:
        return False


def fingerprint(con) -> dict[str, tuple[int, int]]:
    """Every table of the warehouse -> (rows, order-independent checksum of the rows)."""
    tables = [name for name, in warehouse.query_sql(con, "retention/warehouse_tables",
                                                    {"catalog": warehouse.CATALOG}).itertuples(index=False)]
    out = {}
    for table in tables:
        [(rows, checksum)] = warehouse.fetch_sql(con, "warehouse/table_checksum",
                                                 fragments={"table": warehouse.ident(table)})
        out[table] = (int(rows), int(checksum))
    return out


def migrate_to_encrypted(db_path: Path, key: str) -> dict[str, tuple[int, int]]:
    """Encrypt `db_path` in place (under the run lock); returns the verified fingerprint."""
    db_path = Path(db_path)
    target = db_path.with_name(f".{db_path.name}.encrypting-{os.getpid()}")
    with warehouse.run_lock(db_path):
        _remove(target)
        plain = warehouse.connect(db_path, read_only=True, key=None)
        try:
            expected = fingerprint(plain)
            engine.load(plain, "httpfs")  # writing an encrypted file securely needs httpfs
            warehouse.copy_database(plain, target, key)
        finally:
            plain.close()
        try:
            check = warehouse.connect(target, read_only=True, key=key)
            try:
                found = fingerprint(check)
            finally:
                check.close()
            if found != expected:
                differing = sorted(t for t in expected.keys() | found.keys() if expected.get(t) != found.get(t))
                raise WarehouseKeyError(
                    f"加密后的数据库与原数据库不一致（表 {'、'.join(differing)}），原数据库 {db_path} 保持不变。")
            os.replace(target, db_path)  # the old plaintext file goes only now
            with contextlib.suppress(FileNotFoundError):
                db_path.with_name(db_path.name + ".wal").unlink()
        finally:
            _remove(target)
    return expected


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
