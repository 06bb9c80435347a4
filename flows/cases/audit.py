"""The audit trail: every run, export and returns import, with who, when and which files.

Rows go into the warehouse's `audit_trail` (sql/schema/14_audit_trail.sql) on the same
connection or working copy as the work they record.  A file is named by its name and
path and identified by its sha256; nothing of its contents is recorded.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from pathlib import Path

import pandas as pd

from flows import warehouse


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container); the uid still says who
        import os

        return f"uid {os.getuid()}"


def append(con, rows: list[dict]) -> None:
    if not rows:
        return
    now, user = dt.datetime.now(), os_user()
    frame = pd.DataFrame([{"recorded_at": now, "os_user": user, "month": None, "run_id": None, "file": None,
                           "path": None, "sha256": None, "outcome": None, **row} for row in rows])
    warehouse.insert_frame(con, "audit_trail", frame)


def record_run(work_db: Path, plan, work_out: Path, lineage: list[dict]) -> int:
    """The run's input files (from its lineage) and every file it wrote to the out folder,
    named as they will be once the out folder is swapped in."""
    rows = [{"event": "run", "month": plan.month, "run_id": plan.run_id, "file": item["file"],
             "path": item["path"], "sha256": item["sha256"]} for item in lineage]
    for path in sorted(p for p in Path(work_out).rglob("*") if p.is_file()):
        relative = path.relative_to(work_out)
        rows.append({"event": "export", "month": plan.month, "run_id": plan.run_id, "file": str(relative),
                     "path": str(plan.out_dir / relative), "sha256": sha256_of(path)})
    con = warehouse.connect(work_db)
    try:
        warehouse.ensure_schema(con)
        append(con, rows)
    finally:
        con.close()
    return len(rows)


def record_returns(con, month: str, outcomes, paths: list[Path]) -> None:
    """Each returned file `dibao returns` read, recorded or refused."""
    rows = []
    for path, outcome in zip(paths, outcomes):
        path = Path(path)
        rows.append({"event": "returns", "month": month, "file": path.name, "path": str(path.resolve()),
                     "sha256": sha256_of(path) if path.is_file() else None,
                     "outcome": "refused" if outcome.error else f"recorded {outcome.recorded}"})
    append(con, rows)
