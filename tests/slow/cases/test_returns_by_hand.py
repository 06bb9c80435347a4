"""Returns as real hands fill them: a 备注 without a 核实结果 is reported and kept; two different
answers to one case (two copies in one batch, or a copy against an earlier import) are a
conflict — both answers and files reported, neither recorded until the office settles it; a file
imported twice counts once.  Real returned workbooks, the real `dibao returns` command."""
from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from flows.cases.decisions import record_returns, settle_conflict
from test_follow_up import _rows, query, run_month, sheet_rows
from test_returns import fill, returns

MAY = "2020-05"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("by-hand")
    db = tmp / "w.duckdb"
    may = run_month(tmp, MAY)
    case = {name: case_id for name, case_id in query(
        db, "select name, case_id from exceptions where month = ? and rule = 'DECEASED_PAID'", [MAY])}
    sheet = may / "villages" / "回龙镇_天竺村_异常核实表_2020-05.xlsx"
    (tmp / "back").mkdir()
    copies = {}
    for name, answers in {
        "天竺村.xlsx": {case["张三"]: ("属实", "已去世"), case["李四"]: ("属实", "已去世"),
                        case["王五"]: (None, "此人已于3月去世")},
        "天竺村(1).xlsx": {case["张三"]: ("不属实", "本人健在")},           # a second copy, another answer
        "天竺村-补报.xlsx": {case["李四"]: ("已处理", "已停发")},            # a later copy
    }.items():
        copies[name] = tmp / "back" / name
        shutil.copy(sheet, copies[name])
        fill(copies[name], answers)
    batch = returns(db, copies["天竺村.xlsx"], copies["天竺村(1).xlsx"])
    again = record_returns(db, MAY, [copies["天竺村.xlsx"]])
    later = record_returns(db, MAY, [copies["天竺村-补报.xlsx"]])
    return tmp, db, case, copies, batch, again, later


def test_a_remark_without_a_result_is_listed_and_kept(world):
    tmp, db, case, copies, batch, again, later = world
    assert batch.returncode == 0, batch.stderr
    assert "填写了备注但未选择核实结果" in batch.stdout and case["王五"] in batch.stdout
    assert "待补核实结果 1 条" in batch.stdout
    assert query(db, "select case_id, remark, source_file from case_remarks") == [
        (case["王五"], "此人已于3月去世", "天竺村.xlsx")]
    assert query(db, "select count(*) from decisions where case_id = ?", [case["王五"]]) == [(0,)]


def test_conflicting_copies_in_one_batch_are_reported_and_neither_taken(world):
    tmp, db, case, copies, batch, *_ = world
    assert "核实结果冲突" in batch.stdout
    line = next(l for l in batch.stdout.splitlines() if case["张三"] in l and "冲突" in l)
    assert "“不属实”" in line and "“属实”" in line and "天竺村" in line   # both answers, the other file named
    (a, file_a, b, file_b), = query(db, "select result_a, file_a, result_b, file_b from decision_conflicts "
                                        "where case_id = ?", [case["张三"]])
    assert {(a, file_a), (b, file_b)} == {("属实", "天竺村.xlsx"), ("不属实", "天竺村(1).xlsx")}
    assert query(db, "select status from cases where case_id = ?", [case["张三"]]) == [("open",)]
    assert query(db, "select count(*) from v_effective_decisions where case_id = ?", [case["张三"]]) == [(0,)]


def test_a_file_imported_twice_counts_once(world):
    tmp, db, case, copies, batch, again, later = world
    assert (again[0].recorded, again[0].repeated, again[0].conflicts) == (0, 2, [])
    # its 李四 answer was recorded, its 张三 answer is one side of a conflict: neither counted again
    assert query(db, "select count(*) from decisions where source_file = '天竺村.xlsx'") == [(1,)]
    assert query(db, "select count(*) from decision_conflicts where case_id = ?", [case["张三"]]) == [(1,)]
    assert query(db, "select count(*) from case_remarks") == [(1,)]


def test_a_later_copy_against_an_earlier_import_is_a_conflict_until_settled(world):
    tmp, db, case, copies, batch, again, later = world
    assert later[0].recorded == 0 and len(later[0].conflicts) == 1
    assert query(db, "select status from cases where case_id = ?", [case["李四"]]) == [("open",)]
    assert query(db, "select count(*) from v_effective_decisions where case_id = ?", [case["李四"]]) == [(0,)]
    settle_conflict(db, case["张三"], "属实", reviewer="镇民政办")
    assert query(db, "select result, decided_by from v_effective_decisions where case_id = ?",
                 [case["张三"]]) == [("属实", "镇民政办")]
    assert query(db, "select status from cases where case_id = ?", [case["张三"]]) == [("confirmed",)]
    with pytest.raises(ValueError):
        settle_conflict(db, case["张三"], "属实")             # nothing left to settle


def test_next_month_shows_the_remark_and_the_open_conflict(world):
    tmp, db, case, *_ = world
    june = run_month(tmp, "2020-06")
    rows = {r["核查编号"]: r for r in sheet_rows(june / "villages" / "回龙镇_天竺村_异常核实表_2020-06.xlsx", "死亡疑点")}
    assert rows[case["王五"]]["上次核实"] == "未选核实结果，备注：此人已于3月去世（待补核实结果）"
    book = load_workbook(june / "summary" / "回龙镇_督办清单_2020-06.xlsx")
    assert [r["核查编号"] for r in _rows(book["待补核实结果"])] == [case["王五"]]
    assert [(r["核查编号"], r["先录入的结果"], r["后报送的结果"], r["后报送的文件"]) for r in _rows(book["核实结果冲突"])] == [
        (case["李四"], "属实", "已处理", "天竺村-补报.xlsx")]
    # 张三 was settled 属实 on the May sheet and is still paid in June
    assert [r["核查编号"] for r in _rows(book["督办清单"])] == [case["张三"]]
