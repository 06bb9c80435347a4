"""The training step (`dibao demo --fill`, flows/generate/training.py) and the chase-up
lists of flows/review.py, on a generated township reconciled by the real steps.

The filler writes only 核实结果 and 备注, with the choices each sheet's drop-down offers;
every filled sheet is accepted by `dibao returns`' reader; one village does not return its
sheet and one row has a remark without a result — which the chase-up lists then show."""
from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from flows import review, warehouse
from flows.cases.decisions import record_returns
from flows.generate import generate
from flows.generate.training import PENDING_REMARK, fill_returns
from flows.normalize.ids import mask_id
from helpers import run_generated

MONTH = "2020-05"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("training")
    generate("township", 7, MONTH, tmp / "raw")
    out = run_generated(tmp / "raw", tmp)
    filled = fill_returns(out / "villages", tmp / "returned", seed=1)
    outcomes = record_returns(tmp / "w.duckdb", MONTH, filled.files)
    return tmp, out, filled, outcomes


def _cells(path):
    book = load_workbook(path)
    return {(ws.title, cell.coordinate): cell.value for ws in book.worksheets for row in ws.iter_rows() for cell in row}


def test_only_the_answer_cells_are_written(world):
    tmp, out, filled, _ = world
    for path in filled.files:
        before, after = _cells(out / "villages" / path.name), _cells(path)
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        assert changed
        book = load_workbook(path)
        for sheet, coordinate in changed:
            ws = book[sheet]
            column = ws[coordinate].column
            header = next(ws.cell(r, column).value for r in range(ws[coordinate].row - 1, 0, -1)
                          if ws.cell(r, column).value in ("核实结果", "备注"))
            assert header in ("核实结果", "备注"), (path.name, coordinate)


def test_every_filled_sheet_is_accepted_and_one_village_is_missing(world):
    _, out, filled, outcomes = world
    assert [o.error for o in outcomes] == [None] * len(outcomes)
    sheets = sorted(p.name for p in (out / "villages").glob("*_异常核实表_*.xlsx"))
    assert len(filled.not_returned) == 1 and len(filled.files) == len(sheets) - 1
    assert filled.not_returned[0] not in {p.name for p in filled.files}
    assert sum(len(o.remarks_only) for o in outcomes) == 1 == len(filled.pending)
    assert {"属实", "不属实"} <= set(filled.answers)
    assert filled.confirmed_deaths and min(filled.confirmed_deaths) == filled.confirmed_deaths[0]


def test_the_answers_are_the_drop_downs_own(world, tmp_path):
    """A 重复享受 sheet offering 保留此处/停发此处/不属实/已处理 is answered with those."""
    _, out, _, _ = world
    villages = tmp_path / "villages"
    villages.mkdir()
    offered = ("保留此处", "停发此处", "不属实", "已处理")
    for path in (out / "villages").glob("*_异常核实表_*.xlsx"):
        book = load_workbook(path)
        for ws in book.worksheets:
            for validation in ws.data_validations.dataValidation:
                validation.formula1 = '"' + ",".join(offered) + '"'
        book.save(villages / path.name)
    filled = fill_returns(villages, tmp_path / "returned", seed=3)
    assert set(filled.answers) <= set(offered) and "保留此处" in filled.answers


def test_the_chase_up_lists_what_is_left(world):
    tmp, _, filled, _ = world
    db = tmp / "w.duckdb"
    villages = review.returned_sheets(db, MONTH)
    missing = filled.not_returned[0].split("_")[1]
    assert villages.loc[villages["returned"] == "否", "village"].tolist() == [missing]
    row = villages.set_index("village").loc[missing]
    assert row["answered"] == 0 and row["unanswered"] == row["findings"] > 0
    assert villages["remarks_only"].sum() == 1
    pending = review.pending_answers(db, MONTH)
    assert pending["case_id"].tolist() == filled.pending and pending["remark"].tolist() == [PENDING_REMARK]
    assert "rule_name" in pending and "id_number_raw" not in pending
    assert review.open_conflicts(db).empty
    # a village's 不属实/已处理 on registry-certain evidence is disputed, awaiting the township (issue 24)
    assert sorted(review.disputed_cases(db)["case_id"]) == _denied_registry_evidence(db) != []
    summary = review.chase_up(db, MONTH)
    assert f"1 个未交回（{missing}）" in summary and "待补核实结果：1 条" in summary


def test_conflicts_and_disputed_cases_are_listed(world, tmp_path):
    tmp, _, filled, _ = world
    db = tmp_path / "w.duckdb"
    shutil.copy2(tmp / "w.duckdb", db)
    # A second copy of one sheet with another answer on its first answered row: a conflict.
    copy = tmp_path / filled.files[0].name
    book = load_workbook(filled.files[0])
    answered = next(cell for ws in book.worksheets if ws.title != "说明" for row in ws.iter_rows() for cell in row
                    if cell.value == "属实")
    answered.value = "不属实"
    book.save(copy)
    record_returns(db, MONTH, [copy])
    assert len(review.open_conflicts(db)) == 1
    # A village's 不属实 on registry evidence that outranks it, awaiting the township.
    expected = _denied_registry_evidence(db)
    disputed = review.disputed_cases(db)
    assert sorted(disputed["case_id"]) == expected
    con = warehouse.connect(db, read_only=True)
    ids = dict(con.execute("select case_id, id_number from exceptions where month = ?", [MONTH]).fetchall())
    con.close()
    assert sorted(disputed["id_number"]) == sorted(mask_id(ids[c]) for c in expected)
    assert f"待镇里复核决定（村里答不属实/已处理，但登记证据更强）：{len(expected)} 条" in review.chase_up(db, MONTH)


def _denied_registry_evidence(db) -> list[str]:
    """Cases a village answered 不属实/已处理 whose finding is registry-certain (exceptions)."""
    con = warehouse.connect(db, read_only=True)
    try:
        return [c for c, in con.execute(
            "select distinct d.case_id from decisions d join exceptions e using (case_id) "
            "where e.registry_certain and d.result in ('不属实', '已处理') and d.origin = 'village' "
            "and d.case_id not in (select case_id from decision_conflicts where settled_at is null) "
            "order by 1").fetchall()]
    finally:
        con.close()
