"""附件1–3 摸排台账: written per village and per township, reopened with openpyxl the
way a clerk's Excel sees them, then filled in and read back."""
from __future__ import annotations

import datetime as dt
import hashlib

import openpyxl
import pandas as pd
import pytest

from flows.cases.ledger_sheets import read_returned_ledger
from flows.reports.ledgers import LEDGER_HEADERS, LEDGER_TITLES, write_poverty_ledgers
from flows.cases.village_sheets import ReturnError

MONTH = "2020-05"
FILLED_ON = dt.date(2020, 5, 28)
TOWNSHIP = "回龙镇"
HYPERLINK = '=HYPERLINK("http://x","y")'
HEADER_ROW = 4


def _person(ledger_id, household_type, village, name, id_number, **extra):
    row = {
        "ledger_id": ledger_id, "household_type": household_type, "township": TOWNSHIP,
        "village": village, "name": name, "id_number": id_number, "id_number_raw": id_number,
        "household_size": 3.0, "relation": "户主", "health": "健康", "poverty_cause": "缺劳力",
        "income_monthly": 420.5, "current_assistance": "低保", "phone": "13800000001",
        "previous_include": None, "previous_reason": None,
    }
    row.update(extra)
    return row


@pytest.fixture
def ledger() -> pd.DataFrame:
    """Two villages of 回龙镇, all three kinds in 龙门村, two in 石桥村."""
    return pd.DataFrame([
        _person("L000001", "未脱贫建档立卡", "龙门村", "王德明", "500228194503121235"),
        _person("L000002", "未脱贫建档立卡", "龙门村", HYPERLINK, "500228195011023344",
                relation="配偶", phone=13800000002.0),
        _person("L000003", "边缘户", "龙门村", "李秀英", "500228196208085566",
                health="重病", poverty_cause="因病", current_assistance="无", income_monthly=None,
                household_size=None),
        _person("L000004", "脱贫监测户", "龙门村", "张国强", "500228197001017788",
                current_assistance="临时救助"),
        _person("L000005", "未脱贫建档立卡", "石桥村", "陈小红", None, id_number_raw="5.00228E+17"),
        _person("L000006", "边缘户", "石桥村", "刘大山", "500228195505052222",
                previous_include="否", previous_reason="收入超标"),
    ])


@pytest.fixture
def written(tmp_path, ledger):
    paths = write_poverty_ledgers(ledger, tmp_path, MONTH, filled_on=FILLED_ON)
    return {p.name: p for p in paths}


def _name(village, household_type):
    number, title = LEDGER_TITLES[household_type]
    place = f"{TOWNSHIP}_{village}" if village else TOWNSHIP
    return f"{place}_附件{number}_{title}_{MONTH}.xlsx"


def _sheet(path):
    return openpyxl.load_workbook(path).worksheets[0]


def _headers(ws):
    return [c.value for c in ws[HEADER_ROW]]


def _column(ws, header):
    return _headers(ws).index(header) + 1


def _data_rows(ws):
    """Data rows (those with a 台账编号) as header → value dicts."""
    headers = _headers(ws)
    id_col = headers.index("台账编号")
    return [dict(zip(headers, (c.value for c in row)))
            for row in ws.iter_rows(min_row=HEADER_ROW + 1) if row[id_col].value]


def _meta(path):
    ws = openpyxl.load_workbook(path)["_meta"]
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] != "ledger"}


# --- writing ----------------------------------------------------------------------

def test_one_file_per_village_and_kind_and_per_township_and_kind(written):
    assert sorted(written) == sorted([
        _name("龙门村", "未脱贫建档立卡"), _name("龙门村", "边缘户"), _name("龙门村", "脱贫监测户"),
        _name("石桥村", "未脱贫建档立卡"), _name("石桥村", "边缘户"),
        _name(None, "未脱贫建档立卡"), _name(None, "边缘户"), _name(None, "脱贫监测户"),
    ])
    assert _name("龙门村", "边缘户") == "回龙镇_龙门村_附件2_边缘户摸排台账_2020-05.xlsx"


def test_annex_title_unit_line_and_exact_headers(written):
    ws = _sheet(written[_name("龙门村", "未脱贫建档立卡")])
    assert ws["A1"].value == "附件1"
    assert ws["A2"].value == "回龙镇未脱贫建档立卡贫困人口摸排台账（2020年5月）"   # the month it stands at
    assert ws["A2"].font.b and ws["A2"].font.sz == 16 and ws["A2"].alignment.horizontal == "center"
    assert "A2:N2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A3"].value == "填报单位：回龙镇龙门村（盖章）"
    assert any(str(c.value).startswith("填报时间：") for c in ws[3] if c.value)
    headers = _headers(ws)
    assert headers[:14] == list(LEDGER_HEADERS)
    # The only other header is the hidden 台账编号, which is not printed.
    assert headers[14:] == ["台账编号"]
    assert ws.column_dimensions["O"].hidden
    assert ws.print_area == "'未脱贫建档立卡贫困人口摸排台账'!$A$1:$N$9"  # 2 rows, a gap, 填表说明, signature
    assert _sheet(written[_name("龙门村", "脱贫监测户")])["A1"].value == "附件3"


def test_township_ledger_has_all_villages(written):
    ws = _sheet(written[_name(None, "未脱贫建档立卡")])
    assert ws["A3"].value == "填报单位：回龙镇（盖章）"
    rows = _data_rows(ws)
    # Villages in the same order as the file names sort; the registry's order within each.
    assert [(r["序号"], r["所属村组"], r["台账编号"]) for r in rows] == [
        (1, "石桥村", "L000005"), (2, "龙门村", "L000001"), (3, "龙门村", "L000002")]
    assert _meta(written[_name(None, "未脱贫建档立卡")])["village"] is None  # written as ""


def test_rows_prefilled_and_answer_columns_empty(written):
    (row,) = _data_rows(_sheet(written[_name("龙门村", "边缘户")]))
    assert row["乡镇"] == TOWNSHIP and row["所属村组"] == "龙门村"
    assert row["健康状况"] == "重病" and row["目前享受救助类型"] == "无"
    assert row["家庭人数"] is None and row["家庭人均月纯收入（元）"] is None
    assert row["通过排查拟纳入救助"] is None and row["未纳入原因"] is None
    (row,) = _data_rows(_sheet(written[_name("龙门村", "脱贫监测户")]))
    assert row["家庭人数"] == 3 and row["家庭人均月纯收入（元）"] == 420.5
    assert row["目前享受救助类型"] == "临时救助"


def test_drop_downs_on_assistance_and_include(written):
    ws = _sheet(written[_name("龙门村", "未脱贫建档立卡")])
    by_column = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    assistance = openpyxl.utils.get_column_letter(_column(ws, "目前享受救助类型"))
    include = openpyxl.utils.get_column_letter(_column(ws, "通过排查拟纳入救助"))
    assert set(by_column) == {f"{assistance}5:{assistance}6", f"{include}5:{include}6"}
    assert by_column[f"{assistance}5:{assistance}6"].formula1 == '"低保,特困,临时救助,无"'
    assert by_column[f"{include}5:{include}6"].formula1 == '"是,否"'
    assert all(v.type == "list" and v.showErrorMessage for v in by_column.values())


def test_notes_and_signature_below_the_table(written):
    ws = _sheet(written[_name("龙门村", "未脱贫建档立卡")])
    last_data_row = HEADER_ROW + 2
    texts = {c.row: c.value for c in ws["A"] if isinstance(c.value, str)}
    notes_row = next(r for r, t in texts.items() if t.startswith("填表说明："))
    assert notes_row > last_data_row
    notes = texts[notes_row]
    assert "“通过排查拟纳入救助”填写是或否" in notes and "未纳入原因" in notes and "最近12个月" in notes
    assert ws.cell(notes_row, 1).alignment.wrap_text
    assert f"A{notes_row}:N{notes_row}" in {str(r) for r in ws.merged_cells.ranges}
    assert texts[notes_row + 1].startswith("村（社区）负责人：") and "填表人：" in texts[notes_row + 1]
    assert "上次填报" not in notes


def test_previous_answer_column_only_when_there_is_one(written):
    ws = _sheet(written[_name("石桥村", "边缘户")])
    assert _headers(ws)[:15] == list(LEDGER_HEADERS) + ["上次填报"]
    (row,) = _data_rows(ws)
    assert row["上次填报"] == "否（收入超标）" and row["通过排查拟纳入救助"] is None
    assert "上次填报" not in _headers(_sheet(written[_name("龙门村", "边缘户")]))


def test_ids_masked_and_phones_as_text(written):
    ws = _sheet(written[_name("龙门村", "未脱贫建档立卡")])
    rows = _data_rows(ws)
    assert [r["身份证号码"] for r in rows] == ["500228********1235", "500228********3344"]
    assert [r["联系电话"] for r in rows] == ["13800000001", "13800000002"]
    id_col, phone_col = _column(ws, "身份证号码"), _column(ws, "联系电话")
    assert ws.cell(5, id_col).data_type == "s" and ws.cell(6, phone_col).data_type == "s"
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "500228194503121235" not in values
    (row,) = _data_rows(_sheet(written[_name("石桥村", "未脱贫建档立卡")]))
    assert row["身份证号码"] == "5.0022*E+17"


def test_ids_unmasked_on_request(tmp_path, ledger):
    paths = write_poverty_ledgers(ledger, tmp_path, MONTH, filled_on=FILLED_ON, mask_ids=False)
    ws = _sheet(next(p for p in paths if p.name == _name("龙门村", "未脱贫建档立卡")))
    assert _data_rows(ws)[0]["身份证号码"] == "500228194503121235"


def test_each_village_file_holds_only_its_people(written, ledger):
    for village in ("龙门村", "石桥村"):
        for household_type in ("未脱贫建档立卡", "边缘户"):
            ws = _sheet(written[_name(village, household_type)])
            mine = ledger[(ledger["village"] == village) & (ledger["household_type"] == household_type)]
            rows = _data_rows(ws)
            assert [r["台账编号"] for r in rows] == list(mine["ledger_id"])
            assert {r["姓名"] for r in rows} == set(mine["name"])


def test_formula_like_name_stays_text(written):
    ws = _sheet(written[_name("龙门村", "未脱贫建档立卡")])
    cell = ws.cell(6, _column(ws, "姓名"))
    assert cell.value == HYPERLINK and cell.data_type == "s" and cell.quotePrefix
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_print_setup_and_frozen_header(written):
    ws = _sheet(written[_name("龙门村", "未脱贫建档立卡")])
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$4"
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.freeze_panes == "A5"
    assert ws.column_dimensions["E"].width >= 20  # 18-character ID fits on one line


def test_meta_identifies_the_ledger(written):
    path = written[_name("龙门村", "边缘户")]
    wb = openpyxl.load_workbook(path)
    assert wb["_meta"].sheet_state == "hidden"
    meta = _meta(path)
    assert meta["kind"] == "poverty_ledger" and meta["scope"] == "village"
    assert (meta["township"], meta["village"], meta["household_type"], meta["month"]) == (
        TOWNSHIP, "龙门村", "边缘户", MONTH)
    assert meta["format_version"] == "2" and len(meta["seal"]) == 64
    ledgers = [r for r in wb["_meta"].iter_rows(values_only=True) if r[0] == "ledger"]
    assert [r[1] for r in ledgers] == ["L000003"] and len(ledgers[0][2]) == 64


def test_bad_input_is_refused(tmp_path, ledger):
    with pytest.raises(ValueError, match="household_type"):
        write_poverty_ledgers(ledger.assign(household_type="贫困户"), tmp_path, MONTH, filled_on=FILLED_ON)
    with pytest.raises(ValueError, match="ledger_id"):
        write_poverty_ledgers(ledger.assign(ledger_id="L1"), tmp_path, MONTH, filled_on=FILLED_ON)
    with pytest.raises(ValueError, match="missing columns: phone"):
        write_poverty_ledgers(ledger.drop(columns="phone"), tmp_path, MONTH, filled_on=FILLED_ON)


# --- reading returns --------------------------------------------------------------

def _fill(path, answers, *, edit=None):
    """Fill 通过排查拟纳入救助 / 未纳入原因 by 台账编号, as a village would;
    answers: ledger_id → (include, reason); edit = (ledger_id, header, value)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    id_col, include_col, reason_col = (_column(ws, h) for h in ("台账编号", "通过排查拟纳入救助", "未纳入原因"))
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        ledger_id = ws.cell(row, id_col).value
        if ledger_id in answers:
            include, reason = answers[ledger_id]
            ws.cell(row, include_col).value = include
            ws.cell(row, reason_col).value = reason
        if edit and ledger_id == edit[0]:
            ws.cell(row, _column(ws, edit[1])).value = edit[2]
    wb.save(path)


def test_round_trip_reads_the_answers(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    _fill(path, {"L000001": ("是", None), "L000002": ("否", "收入超标")},
          edit=("L000001", "目前享受救助类型", "特困"))
    returned = read_returned_ledger(path, expected_month=MONTH)
    assert (returned.township, returned.village, returned.household_type, returned.month) == (
        TOWNSHIP, "龙门村", "未脱贫建档立卡", MONTH)
    assert returned.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert list(returned.answers.columns) == ["ledger_id", "row", "include", "reason", "current_assistance"]
    answers = returned.answers.set_index("ledger_id")
    assert answers.loc["L000001", "include"] == "是" and answers.loc["L000001", "reason"] is None
    assert answers.loc["L000001", "current_assistance"] == "特困"  # corrected by the village
    assert answers.loc["L000002", "include"] == "否" and answers.loc["L000002", "reason"] == "收入超标"
    assert answers.loc["L000002", "row"] == 6


def test_unanswered_rows_are_not_answers(written):
    path = written[_name("龙门村", "边缘户")]
    assert read_returned_ledger(path, expected_month=MONTH).answers.empty


def test_sorted_rows_still_read(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    first, second = ([c.value for c in ws[r]] for r in (5, 6))
    for col, (a, b) in enumerate(zip(first, second), start=1):
        for row, value in ((5, b), (6, a)):
            ws.cell(row, col).value = value
            if isinstance(value, str):
                ws.cell(row, col).data_type = "s"  # as Excel keeps the text when sorting
    wb.save(path)
    _fill(path, {"L000001": ("是", None)})
    answers = read_returned_ledger(path, expected_month=MONTH).answers
    assert list(answers["ledger_id"]) == ["L000001"] and list(answers["row"]) == [6]


def _assert_refused(path, match):
    with pytest.raises(ReturnError, match=match) as error:
        read_returned_ledger(path, expected_month=MONTH)
    message = str(error.value)
    assert path.name in message
    assert "王德明" not in message and "500228" not in message and HYPERLINK not in message
    return error.value


def test_wrong_month_is_refused(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    with pytest.raises(ReturnError, match="该表为2020年5月的摸排台账，不是2020年6月"):
        read_returned_ledger(path, expected_month="2020-06")


def test_no_without_reason_refuses_the_whole_file(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    _fill(path, {"L000001": ("是", None), "L000002": ("否", None)})
    error = _assert_refused(path, "填“否”的，须在未纳入原因中说明理由")
    assert error.problems == ["第6行（台账编号L000002）填“否”的，须在未纳入原因中说明理由"]


def test_value_outside_the_list_is_refused(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    _fill(path, {"L000001": ("可以", None)})
    _assert_refused(path, "应填“是”或“否”")


def test_edited_name_is_refused(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    _fill(path, {"L000001": ("是", None), "L000002": ("是", None)}, edit=("L000001", "姓名", "王得明"))
    error = _assert_refused(path, "姓名或身份证号码与下发时不一致")
    assert "L000001" in str(error) and "王得明" not in str(error)


def test_formula_like_name_survives_a_return(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    _fill(path, {"L000002": ("是", None)})
    assert list(read_returned_ledger(path, expected_month=MONTH).answers["ledger_id"]) == ["L000002"]


def test_unknown_and_duplicated_ledger_ids_are_refused(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    id_col = _column(ws, "台账编号")
    ws.cell(6, id_col).value = "L000001"
    wb.save(path)
    _assert_refused(path, "重复")
    ws.cell(6, id_col).value = "L999999"
    wb.save(path)
    _assert_refused(path, "不是本表下发时的编号")


def test_added_row_with_an_answer_is_refused(written):
    path = written[_name("龙门村", "未脱贫建档立卡")]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.insert_rows(7)
    ws.cell(7, _column(ws, "姓名")).value = "新增人员"
    ws.cell(7, _column(ws, "通过排查拟纳入救助")).value = "是"
    wb.save(path)
    _assert_refused(path, "没有台账编号")


def test_township_ledger_is_not_accepted(written):
    path = written[_name(None, "未脱贫建档立卡")]
    _assert_refused(path, "乡镇汇总台账")


def test_foreign_and_other_workbooks_are_refused(tmp_path, written):
    path = tmp_path / "其他.xlsx"
    openpyxl.Workbook().save(path)
    _assert_refused(path, "不是本系统下发的摸排台账")
    from flows.reports.workbooks import write_village_workbooks

    exceptions = pd.DataFrame([{
        "rule": "INVALID_ID", "severity": "high", "township": TOWNSHIP, "village": "龙门村",
        "household_id": "H1", "name": "王德明", "id_number": None, "id_number_raw": "1",
        "matched_source": None, "matched_name": None, "matched_id_number": None, "death_date": None,
        "score": None, "months_overpaid": None, "amount_overpaid": None, "detail": "",
        "case_id": "IV-1", "head_name": None, "benefit_type": "农村低保", "previous_result": None,
    }])
    (village_sheet,) = write_village_workbooks(exceptions, tmp_path / "v", MONTH, filled_on=FILLED_ON)
    _assert_refused(village_sheet, "不是本系统下发的摸排台账")
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    _assert_refused(tmp_path / "bad.xlsx", "bad.xlsx")
