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


# Out-folder files that carry people by design (the office's own lists); everything else
# in the out folder, and the warehouse, the logs and Prefect, must not show one in plain bytes.
PEOPLE_LISTS = {"exceptions.csv", "exceptions.parquet", "rejects.csv"}


def found_in(content: bytes, ids: set[str], names: set[str]) -> tuple[set[str], set[str]]:
    """IDs and names readable in `content` (as UTF-8), found without one scan per person."""
    import re

    text = content.decode("utf-8", errors="ignore")
    digits = {m.upper() for m in re.findall(r"(?=([0-9]{17}[0-9Xx]))", text)}
    runs = re.findall(r"[\u3400-\u9fff·]{2,}", text)
    pieces = {run[i:i + n] for run in runs for n in (2, 3, 4) for i in range(len(run) - n + 1)}
    return digits & ids, pieces & names


def test_no_id_or_name_in_the_warehouse_logs_or_other_out_files(run):
    tmp, raw, ok, _, _ = run
    ids, names = people_in(raw)
    searched = [tmp / "w.duckdb", *(p for p in Path(os.environ["DIBAO_LOG_DIR"]).rglob("*") if p.is_file())]
    searched += [p for p in (tmp / "out").rglob("*")
                 if p.is_file() and p.suffix != ".xlsx" and p.name not in PEOPLE_LISTS]
    assert any(p.name == "run.json" for p in searched)
    for path in searched:
        leaked_ids, leaked_names = found_in(path.read_bytes(), ids, names)
        assert not leaked_ids, f"{len(leaked_ids)} ID numbers found in {path}"
        assert not leaked_names, f"{len(leaked_names)} names found in {path}: e.g. {sorted(leaked_names)[:3]}"
    # the search does find people where they are meant to be
    assert found_in((tmp / "out" / "exceptions.csv").read_bytes(), ids, names) != (set(), set())


def test_the_out_folder_and_the_warehouse_are_their_owners_only(run):
    import stat

    tmp = run[0]
    assert stat.S_IMODE((tmp / "w.duckdb").stat().st_mode) == 0o600
    out = tmp / "out"
    for path in [out, *out.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert not [p for p in tmp.iterdir() if p.name.startswith(".")]      # no working copy or temp folder left
