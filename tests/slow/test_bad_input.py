"""What a village clerk sees when an input is wrong: one Chinese line naming the file or
argument and what to do, the exit code, no traceback — and nothing changed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, make_id, member, person, write_csv

A = make_id("19500101", "121")


def _workbook(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _bad_roster(kind: str, folder: Path) -> Path:
    if kind == "empty xlsx":
        return _workbook(folder / "名册.xlsx", [])
    if kind == "roster without the ID column":
        header = [h for h in ROSTER_HEADER if h != "身份证号码"]
        row = member("张三", A)
        return _workbook(folder / "名册.xlsx", [header, [row[h] for h in header]])
    if kind == "csv in an unknown encoding":
        path = folder / "名册.csv"
        path.write_bytes(",".join(ROSTER_HEADER).encode("utf-16") + b"\xff\xfe\x00\xd8")
        return path
    if kind == "text file named .xlsx":
        path = folder / "名册.xlsx"
        path.write_text("这不是工作簿", encoding="utf-8")
        return path
    raise ValueError(kind)


EXPECTED = {
    "empty xlsx": "找不到表头",
    "roster without the ID column": "身份证号码",
    "csv in an unknown encoding": "编码无法识别",
    "text file named .xlsx": "无法作为 Excel 工作簿打开",
}


def _dibao(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _run_args(tmp: Path, roster: Path, month: str = "2020-05") -> list[str]:
    deaths = write_csv(tmp / "deaths.csv", DEATHS_HEADER, [])
    population = write_csv(tmp / "population.csv", POPULATION_HEADER, [person("张三", A)])
    return ["run", "--month", month, "--roster", str(roster), "--deaths", str(deaths), "--population",
            str(population), "--db", str(tmp / "w.duckdb"), "--out", str(tmp / "out")]


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_an_unreadable_roster_is_named_without_a_traceback_and_nothing_changes(tmp_path, kind):
    roster = _bad_roster(kind, tmp_path)
    proc = _dibao(*_run_args(tmp_path, roster), cwd=tmp_path)
    assert proc.returncode == 1
    assert roster.name in proc.stderr and EXPECTED[kind] in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "out").exists()


def test_a_path_that_does_not_exist_is_named(tmp_path):
    proc = _dibao(*_run_args(tmp_path, tmp_path / "没有这个文件.xlsx"), cwd=tmp_path)
    assert proc.returncode == 1
    assert "没有这个文件.xlsx" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_an_impossible_month_is_a_usage_error(tmp_path):
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [member("张三", A)])
    proc = _dibao(*_run_args(tmp_path, roster, month="2020-13"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "2020-13" in proc.stderr and "YYYY-MM" in proc.stderr and "Traceback" not in proc.stderr


def test_check_shows_what_a_month_would_read_and_writes_nothing(tmp_path):
    roster = write_csv(tmp_path / "roster.csv", ROSTER_HEADER, [member("张三", A), member("李四", A, household="H2")])
    args = _run_args(tmp_path, roster)
    args[0] = "check"
    args = args[:args.index("--db")]
    proc = _dibao(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "roster.csv" in proc.stdout and "表头在第1行，数据 2 行" in proc.stdout
    assert "身份证号码" in proc.stdout and "id_number" in proc.stdout       # which header feeds which field
    assert "可以运行 dibao run" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deaths.csv", "population.csv", "roster.csv"]
