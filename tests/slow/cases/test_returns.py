"""The return loop: villages fill 核实结果, `dibao returns` records it, the next run respects it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows import warehouse
from helpers import POVERTY_HEADER, death, make_id, member, person, poor, write_csv
from test_operations import run_month, write_month

A = make_id("19500101", "121")
B = make_id("19600202", "232")
C = make_id("19700303", "343")
BAD = make_id("19800404", "454")[:17] + "0"
POOR = make_id("19750505", "565")
MONTH = "2020-05"


def fill(path: Path, answers: dict[str, tuple[str, str]]) -> None:
    """Write 核实结果/备注 for case_ids as a village clerk would, and save."""
    book = load_workbook(path)
    for ws in book.worksheets:
        if ws.sheet_state == "hidden" or ws.title == "说明":
            continue
        header = [c.value for c in ws[3]]
        if "核查编号" not in header:
            continue
        case_col, result_col, remark_col = (header.index(h) + 1 for h in ("核查编号", "核实结果", "备注"))
        for row in range(4, ws.max_row + 1):
            case_id = ws.cell(row, case_col).value
            if case_id in answers:
                ws.cell(row, result_col).value, ws.cell(row, remark_col).value = answers[case_id]
    book.save(path)


def returns(db: Path, *paths: Path, month: str = MONTH) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", "returns", "--month", month, "--db", str(db),
                           *map(str, paths)], capture_output=True, text=True, timeout=120)


def decisions(db: Path) -> list[tuple]:
    con = warehouse.connect(db, read_only=True)
    try:
        return con.execute("select case_id, result, decided_by, source_file from decisions order by case_id").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def returned(tmp_path_factory, prefect_harness):
    tmp = tmp_path_factory.mktemp("returns")
    roster = [member("张三", A, household="H1"), member("李梅", B, household="H2", village="龙井村"),
              member("王伟", C, household="H3"), member("赵强", BAD, household="H4")]
    deaths = [death("张三", A, "2020-02-10"), death("王伟", "", "2020-03-01", birth="1970-03-03")]
    population = [person("张三", A), person("李梅", B), person("王伟", C)]
    inputs = write_month(tmp / "in", roster, deaths, population)
    inputs["poverty"] = [str(write_csv(tmp / "in" / "poverty.csv", POVERTY_HEADER, [
        poor("张三", A),                                         # covered: on the roster
        poor("钱多", POOR, health="重病"),                        # uncovered and seriously ill
    ]))]
    inputs["assistance"] = []
    run_month(tmp, MONTH, inputs)
    db = tmp / "warehouse.duckdb"
    con = warehouse.connect(db, read_only=True)
    case_of = dict(con.execute("select rule, case_id from exceptions where village = '天竺村'").fetchall())
    con.close()
    sheet = next((tmp / "out" / MONTH / "villages").glob("回龙镇_天竺村_异常核实表_*.xlsx"))
    filled = tmp / "back" / sheet.name
    filled.parent.mkdir()
    shutil.copy(sheet, filled)
    fill(filled, {case_of["DECEASED_PAID"]: ("属实", "已于2月去世，停发"),
                  case_of["DECEASED_SUSPECT"]: ("不属实", "本人健在，入户核实")})
    proc = returns(db, filled)
    return tmp, db, inputs, case_of, sheet, filled, proc


def test_returned_decisions_are_recorded_with_who_and_which_file(returned):
    tmp, db, _, case_of, _, filled, proc = returned
    assert proc.returncode == 0, proc.stderr
    assert "核实结果 2 条" in proc.stdout
    rows = decisions(db)
    assert {(r[0], r[1]) for r in rows} == {(case_of["DECEASED_PAID"], "属实"), (case_of["DECEASED_SUSPECT"], "不属实")}
    assert all(r[2] == "天竺村" and r[3] == filled.name for r in rows)


def test_rerun_keeps_decisions_and_does_not_resend_a_dismissed_case(returned):
    tmp, db, inputs, case_of, _, _, _ = returned
    run_month(tmp, MONTH, inputs)
    assert len(decisions(db)) == 2
    con = warehouse.connect(db, read_only=True)
    status = dict(con.execute("select case_id, status from cases").fetchall())
    con.close()
    assert status[case_of["DECEASED_PAID"]] == "confirmed"
    assert status[case_of["DECEASED_SUSPECT"]] == "false_positive"
    sheet = next((tmp / "out" / MONTH / "villages").glob("回龙镇_天竺村_异常核实表_*.xlsx"))
    values = [c.value for ws in load_workbook(sheet).worksheets if ws.sheet_state != "hidden"
              for row in ws.iter_rows() for c in row]
    assert case_of["DECEASED_SUSPECT"] not in values        # 不属实: not sent again
    assert case_of["DECEASED_PAID"] in values and "属实（2020-05）" in values   # still open; last result and its month


@pytest.mark.parametrize("damage", ["wrong_value", "edited_id", "other_month"])
def test_malformed_returns_are_refused_and_record_nothing(returned, tmp_path, damage):
    _, db, _, case_of, sheet, _, _ = returned
    before = decisions(db)
    bad = tmp_path / sheet.name
    shutil.copy(sheet, bad)
    month = MONTH
    if damage == "wrong_value":
        fill(bad, {case_of["INVALID_ID"]: ("是的", "")})
    elif damage == "edited_id":
        fill(bad, {case_of["INVALID_ID"]: ("属实", "")})
        book = load_workbook(bad)
        ws = book.worksheets[1]
        header = [c.value for c in ws[3]]
        ws.cell(4, header.index("身份证号") + 1).value = "500228********9999"
        book.save(bad)
    else:
        fill(bad, {case_of["INVALID_ID"]: ("属实", "")})
        month = "2020-06"
    proc = returns(db, bad, month=month)
    assert proc.returncode == 1
    assert bad.name in proc.stderr and "未导入" in proc.stderr
    assert "张三" not in proc.stderr and A not in proc.stderr
    assert decisions(db) == before


def annex4_include_households(out: Path) -> int:
    ws = load_workbook(next((out / "summary").glob("*_城乡低保摸排处理汇总表_*.xlsx")))["附件4"]
    row = next(r for r in ws.iter_rows(min_row=5, values_only=True) if r[0] == "回龙镇")
    return row[5]


def test_a_returned_ledger_answer_changes_annex4_on_rerun(returned, tmp_path):
    tmp, db, inputs, _, _, _, _ = returned
    out = tmp / "out" / MONTH
    assert annex4_include_households(out) == 0
    ledger = next((out / "ledgers").glob("回龙镇_天竺村_附件1_*.xlsx"))
    filled = tmp_path / ledger.name
    shutil.copy(ledger, filled)
    book = load_workbook(filled)
    ws = book.worksheets[0]
    header = [c.value for c in ws[4]]
    for row in range(5, ws.max_row + 1):
        if ws.cell(row, header.index("姓名") + 1).value == "钱多":
            ws.cell(row, header.index("通过排查拟纳入救助") + 1).value = "是"
    book.save(filled)
    proc = returns(db, filled)
    assert proc.returncode == 0, proc.stderr
    run_month(tmp, MONTH, inputs)
    assert annex4_include_households(out) == 1


def test_conflicting_ledger_copies_are_held_until_settled(returned, tmp_path):
    """After the 是 above: a copy saying 是 again is the same answer (one answer, its file kept in
    the lineage); a copy saying 否 conflicts — neither counts until `dibao settle` (issue 24)."""
    from flows.cases.decisions import record_returns, settle_conflict

    tmp, db, *_ = returned
    ledger = next((tmp / "out" / MONTH / "ledgers").glob("回龙镇_天竺村_附件1_*.xlsx"))
    copies = []
    for name, include, reason in (("同一答复.xlsx", "是", None), ("不同答复.xlsx", "否", "收入超标")):
        copies.append(tmp_path / name)
        shutil.copy(ledger, copies[-1])
        book = load_workbook(copies[-1])
        ws = book.worksheets[0]
        header = [c.value for c in ws[4]]
        for row in range(5, ws.max_row + 1):
            if ws.cell(row, header.index("姓名") + 1).value == "钱多":
                ws.cell(row, header.index("通过排查拟纳入救助") + 1).value = include
                ws.cell(row, header.index("未纳入原因") + 1).value = reason
        book.save(copies[-1])
    same, other = record_returns(db, MONTH, copies)
    assert (same.recorded, same.repeated, same.error) == (0, 1, None)
    assert other.recorded == 0 and len(other.conflicts) == 1 and "“否”" in other.conflicts[0]
    con = warehouse.connect(db, read_only=True)
    try:
        ledger_id, = con.execute("select distinct ledger_id from ledger_answers").fetchone()
        assert con.execute("select count(*) from latest_ledger_answer('9999-12')").fetchone() == (0,)
        assert con.execute("select source_file, outcome from decision_sources where subject_kind = 'ledger' "
                           "order by source_file").fetchall() == [("不同答复.xlsx", "conflict"),
                                                                   ("同一答复.xlsx", "same_as_recorded"),
                                                                   (ledger.name, "recorded")]
    finally:
        con.close()
    with pytest.raises(ValueError, match="未纳入原因"):
        settle_conflict(db, ledger_id, "否")
    settle_conflict(db, ledger_id.lower(), "否", "收入超标")
    con = warehouse.connect(db, read_only=True)
    try:
        assert con.execute("select include, reason from latest_ledger_answer('9999-12')").fetchall() == [
            ("否", "收入超标")]
    finally:
        con.close()
