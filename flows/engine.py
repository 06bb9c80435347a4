"""The DuckDB engine this project runs on, and the extensions it loads: one place to revisit.

Pinned to DuckDB 1.4.4 (LTS) because the package registry carries DuckDB-signed
extension wheels (`duckdb-ext-*`) for that version only, so the extensions load offline
with unsigned extensions disallowed:
  httpfs     writing encrypted database files (ATTACH ... ENCRYPTION_KEY) securely;
  encodings  read_csv(encoding='gb18030') for registry exports;
  excel      read_xlsx.
DuckDB 2.0 reads encrypted files but cannot write them offline here (no httpfs wheel).
When wheels for a newer version appear, change the pin in pyproject.toml and
`DUCKDB_VERSION` below, nothing else.

DuckDB 1.4's string distances (levenshtein, jaro_winkler_similarity) count UTF-8
bytes, not characters, so a one-character Chinese typo costs 2-3 edits.  Name
comparisons therefore go through `name_edit_distance`, a rapidfuzz function counted
in characters, registered on every connection.
"""
from __future__ import annotations

import functools
import sys
import sysconfig
from pathlib import Path

import duckdb
from duckdb.sqltypes import BIGINT, VARCHAR
import pyarrow as pa
from rapidfuzz.distance import Levenshtein

DUCKDB_VERSION = "1.4.4"
EXTENSIONS = ("httpfs", "encodings", "excel")


class EngineError(RuntimeError):
    """The DuckDB installation does not match the pin; the message says how to fix it."""


@functools.cache
def extension_path(name: str) -> Path:
    platform = {"x86_64": "linux_amd64", "aarch64": "linux_arm64"}.get(_machine(), "linux_amd64")
    where = Path("duckdb_ext") / "extensions" / f"v{DUCKDB_VERSION}" / platform / f"{name}.duckdb_extension"
    # The wheels' folder in site-packages, or wherever sys.path finds it (a venv layered
    # on another one's packages by a .pth file).
    candidates = [Path(sysconfig.get_paths()["purelib"]) / where] + [Path(p) / where for p in sys.path if p]
    path = next((c for c in candidates if c.is_file()), candidates[0])
    if duckdb.__version__ != DUCKDB_VERSION or not path.is_file():
        raise EngineError(f"需要 DuckDB {DUCKDB_VERSION} 及扩展 duckdb-ext-{name}（当前 DuckDB {duckdb.__version__}）："
                          "请运行 make install 重新安装依赖。")
    return path


def _machine() -> str:
    import platform

    return platform.machine()


def load(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load one pinned extension into `con`, only where it is needed: loading costs
    0.1-0.7 s (httpfs, excel) and about 9 s for encodings, per connection."""
    con.load_extension(str(extension_path(name)))


def prepare(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Register the project's functions on `con`."""
    con.create_function("name_edit_distance", _name_edit_distance, [VARCHAR, VARCHAR],
                        BIGINT, type="arrow", null_handling="special")
    return con


def _name_edit_distance(left: pa.Array, right: pa.Array) -> pa.Array:
    """Levenshtein distance in characters; NULL when either side is NULL."""
    lefts, rights = left.to_pylist(), right.to_pylist()
    out = [None if a is None or b is None else Levenshtein.distance(a, b) for a, b in zip(lefts, rights)]
    return pa.array(out, type=pa.int64())
