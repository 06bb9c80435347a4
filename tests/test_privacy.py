"""No ID number or name of the input may reach Prefect's database, its logs or the console."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flows.generate import generate
from flows.normalize.names import normalize_name

MONTH = "2020-05"


def people_in(raw: Path) -> tuple[set[str], set[str]]:
    """Every ID number and name the generated inputs contain (roster and registries)."""
    ids, names = set(), set()
    truth = pd.read_csv(raw / "truth.csv", dtype=str)
    ids |= set(truth["id_number"].dropna())
    names |= set(truth["name"].dropna())
    roster = pd.read_excel(next((raw / "roster").glob("*.xlsx")), header=None, dtype=str, engine="calamine")
    for value in roster.to_numpy().ravel():
        if isinstance(value, str) and len(value) == 18 and value[:17].isdigit():
            ids.add(value.upper())
    deaths = pd.read_csv(next((raw / "deaths").glob("*.csv")), dtype=str, encoding="gb18030")
    ids |= {v.upper() for v in deaths["公民身份号码"].dropna() if len(v) == 18}
    names |= {normalize_name(v) for v in deaths["姓名"].dropna()}
    return ids, {n for n in names if n and len(n) >= 2}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy")
    raw = tmp / "raw"
    generate("township", 5, MONTH, raw)
    env = dict(os.environ, PREFECT_HOME=str(tmp / "prefect"), PREFECT_LOGGING_LEVEL="DEBUG")
    env.pop("PREFECT_API_URL", None)
    args = [sys.executable, "-m", "flows.cli", "run", "--month", MONTH, "--db", str(tmp / "w.duckdb"),
            "--out", str(tmp / "out"), "--roster", str(raw / "roster"), "--deaths", str(raw / "deaths"),
            "--population", str(raw / "population"), "--source", f"cremation={raw / 'cremation'}"]
    ok = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    before = snapshot(tmp)
    (raw / "roster" / "broken.xlsx").write_bytes(b"not a workbook")     # a failing run must not leak either
    failed = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    return tmp, raw, ok, failed, before


def snapshot(tmp: Path) -> dict:
    files = [tmp / "w.duckdb", *sorted((tmp / "out").rglob("*"))]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def test_an_unreadable_file_stops_the_run_and_changes_nothing(run):
    tmp, _, ok, failed, before = run
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert failed.returncode == 1
    assert "broken.xlsx" in failed.stderr and "无法作为 Excel 工作簿打开" in failed.stderr
    assert snapshot(tmp) == before


def test_no_id_or_name_in_prefect_state_or_console(run):
    tmp, raw, ok, failed, _ = run
    ids, names = people_in(raw)
    assert len(ids) > 1000 and len(names) > 1000
    stored = [p for p in (tmp / "prefect").rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in stored)                     # Prefect's SQLite is there to search
    texts = {"console": ok.stdout + ok.stderr + failed.stdout + failed.stderr}
    for path in stored:
        texts[str(path)] = path.read_bytes().decode("utf-8", errors="ignore")
    assert any("reconcile 2020-05" in text for text in texts.values())   # the search does see Prefect's records
    for where, text in texts.items():
        leaked_ids = [i for i in ids if i in text or i.lower() in text]
        leaked_names = [n for n in names if n in text]
        assert not leaked_ids, f"{len(leaked_ids)} ID numbers found in {where}"
        assert not leaked_names, f"{len(leaked_names)} names found in {where}: e.g. {leaked_names[:3]}"
