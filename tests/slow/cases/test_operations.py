"""Running every month for years: case history, idempotent re-runs, locking, crashes."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from flows import warehouse
from flows.cases.decisions import record_decision
from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv

A = make_id("19500101", "121")
B = make_id("19600202", "232")
C = make_id("19700303", "343")
D = make_id("19800404", "454")
BAD_C = C[:17] + ("0" if C[17] != "0" else "1")


def write_month(folder: Path, roster, deaths, population) -> dict:
    return {
        "roster": [str(write_csv(folder / "roster.csv", ROSTER_HEADER, roster))],
        "police_deaths": [str(write_csv(folder / "deaths.csv", DEATHS_HEADER, deaths, "gb18030"))],
        "population": [str(write_csv(folder / "population.csv", POPULATION_HEADER, population))],
        "cremation": [],
    }


def run_month(tmp: Path, month: str, inputs: dict) -> dict:
    from flows.reconcile import monthly_reconciliation

    return monthly_reconciliation(month=month, inputs=inputs, out=str(tmp / "out" / month),
                                  db=str(tmp / "warehouse.duckdb"))


def cases(tmp: Path) -> dict:
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)
    try:
        rows = con.execute("select rule, person_key, status, first_seen_month, last_seen_month from cases").fetchall()
    finally:
        con.close()
    return {(rule, key): (status, first, last) for rule, key, status, first, last in rows}


POPULATION = [person("张三", A), person("李梅", B), person("王伟", C), person("赵强", D)]


@pytest.fixture(scope="module")
def three_months(tmp_path_factory, prefect_harness):
    """2020-03: 张三 died in Feb, 王伟's ID mistyped, 赵强 a suspected death.
    2020-04: 王伟's ID corrected; the analyst dismisses 赵强 as 不属实.
    2020-05: 张三 removed from the roster; 赵强 still matched on the same evidence."""
    tmp = tmp_path_factory.mktemp("months")
    roster_3 = [member("张三", A, household="H1"), member("李梅", B, household="H2"),
                member("王伟", BAD_C, household="H3"), member("赵强", D, household="H4")]
    deaths = [death("张三", A, "2020-02-10"), death("赵强", "", "2020-01-05", birth="1980-04-04")]
    history = {}
    run_month(tmp, "2020-03", write_month(tmp / "in3", roster_3, deaths, POPULATION))
    history["2020-03"] = cases(tmp)

    roster_4 = [r if r["姓名"] != "王伟" else member("王伟", C, household="H3") for r in roster_3]
    inputs_4 = write_month(tmp / "in4", roster_4, deaths, POPULATION)
    run_month(tmp, "2020-04", inputs_4)
    suspect = next(case_id for case_id, in warehouse.connect(tmp / "warehouse.duckdb", read_only=True).execute(
        "select case_id from cases where rule = 'DECEASED_SUSPECT'").fetchall())
    record_decision(tmp / "warehouse.duckdb", suspect, "不属实", "入户核实本人健在", month="2020-04", reviewer="analyst")
    history["2020-04"] = cases(tmp)

    roster_5 = [r for r in roster_4 if r["姓名"] != "张三"]
    inputs_5 = write_month(tmp / "in5", roster_5, deaths, POPULATION)
    first = run_month(tmp, "2020-05", inputs_5)
    history["2020-05"] = cases(tmp)
    return tmp, history, inputs_5, first


def test_cases_move_through_new_open_resolved(three_months):
    _, history, _, _ = three_months
    dead, typo = ("DECEASED_PAID", f"回龙镇|H1|{A}"), ("INVALID_ID", "回龙镇|H3|王伟")
    assert history["2020-03"][dead][0] == "new" and history["2020-03"][typo][0] == "new"
    assert history["2020-04"][dead][0] == "open"
    assert history["2020-04"][typo][0] == "resolved"              # ID corrected: resolved automatically
    assert history["2020-05"][dead] == ("resolved", "2020-03", "2020-04")


def test_a_dismissed_case_stays_dismissed_and_is_not_sent_again(three_months):
    tmp, history, _, _ = three_months
    assert history["2020-04"][("DECEASED_SUSPECT", f"回龙镇|H4|{D}")][0] == "false_positive"
    assert history["2020-05"][("DECEASED_SUSPECT", f"回龙镇|H4|{D}")][0] == "false_positive"
    sheets = list((tmp / "out" / "2020-05" / "villages").glob("*_异常核实表_*.xlsx"))
    from openpyxl import load_workbook
    texts = [str(c.value) for p in sheets for ws in load_workbook(p).worksheets for r in ws.iter_rows() for c in r]
    assert not any("赵强" in t for t in texts)


def test_rerunning_a_month_gives_identical_exceptions_and_case_states(three_months):
    tmp, history, inputs_5, first = three_months
    before = pd.read_csv(tmp / "out" / "2020-05" / "exceptions.csv")
    run_month(tmp, "2020-05", inputs_5)
    after = pd.read_csv(tmp / "out" / "2020-05" / "exceptions.csv")
    pd.testing.assert_frame_equal(before, after)
    assert cases(tmp) == history["2020-05"]
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)
    try:
        per_month = dict(con.execute("select month, count(*) from exceptions group by month").fetchall())
        changes = con.execute("select sum(new_cases), sum(still_open), sum(resolved) from v_month_changes "
                              "where month = '2020-05'").fetchone()
        open_cases = con.execute("select count(*) from v_open_cases").fetchone()[0]
    finally:
        con.close()
    assert set(per_month) == {"2020-03", "2020-04", "2020-05"}   # other months left alone
    # May: 张三's death and his household's size finding resolved, 赵强's dismissed suspicion still found
    assert tuple(changes) == (0, 1, 2)
    assert open_cases == 0                                       # nothing left but a dismissed case


def test_a_second_concurrent_run_is_refused(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    inputs = write_month(tmp_path / "in", [member("张三", A)], [], [person("张三", A)])
    with warehouse.run_lock(db):
        proc = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "--month", "2020-05", "--db", str(db),
             "--out", str(tmp_path / "out"), "--roster", inputs["roster"][0], "--deaths", inputs["police_deaths"][0],
             "--population", inputs["population"][0]],
            capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "另一个对账任务正在使用数据库" in proc.stderr
    assert not db.exists() and not (tmp_path / "out").exists()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_killed_midway_leaves_everything_as_before(tmp_path):
    from flows.generate import generate

    raw = tmp_path / "raw"
    generate("township", 3, "2020-05", raw)
    db, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    args = [sys.executable, "-m", "flows.cli", "run", "--month", "2020-05", "--db", str(db), "--out", str(out),
            "--roster", str(raw / "roster"), "--deaths", str(raw / "deaths"), "--population", str(raw / "population")]
    assert subprocess.run(args, capture_output=True, timeout=600).returncode == 0
    db_before = _digest(db)
    out_before = {p.relative_to(out): _digest(p) for p in out.rglob("*") if p.is_file() and p.name != "run.json"}

    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob(".warehouse.duckdb.run-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)                                   # well inside loading
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    assert _digest(db) == db_before
    assert {p.relative_to(out): _digest(p) for p in out.rglob("*") if p.is_file() and p.name != "run.json"} == out_before
    assert subprocess.run(args, capture_output=True, timeout=600).returncode == 0
    assert not list(tmp_path.glob(".warehouse.duckdb.run-*")) and not list(tmp_path.glob(".out.run-*"))
