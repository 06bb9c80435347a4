"""Village workbooks, township summaries and returns, checked by reopening the
files with openpyxl the way a township clerk's Excel would see them."""
from __future__ import annotations

import datetime as dt
import hashlib
import math

import openpyxl
import pandas as pd
import pytest

from flows.reports.excel_style import excel_safe
from flows.reports.xlsx_writer import Book
from flows.cases.village_sheets import ReturnError, read_returned_workbook
from flows.reports.summary import write_annex_sheet, write_township_summary
from flows.reports.workbooks import start_village_workbooks, write_village_workbooks

MONTH = "2020-05"
FILLED_ON = dt.date(2020, 5, 28)
TOWNSHIP = "回龙镇"
HYPERLINK = '=HYPERLINK("http://x","y")'

DEATH_HEADERS = ["序号", "核查编号", "姓名", "户主姓名", "身份证号", "疑点类型", "死亡日期", "死亡信息来源",
                 "多发金额（元）", "疑点说明", "核实结果", "备注"]


def _case(case_id, rule, village, name, id_number, **extra):
    row = {
        "rule": rule, "severity": "high", "township": TOWNSHIP, "village": village,
        "household_id": "HH-" + case_id[-2:], "name": name, "id_number": id_number,
        "id_number_raw": id_number, "matched_source": None, "matched_name": None,
        "matched_id_number": None, "death_date": None, "score": math.nan,
        "months_overpaid": pd.NA, "amount_overpaid": math.nan, "detail": "待核实",
        "case_id": case_id, "head_name": "户主" + case_id[-1], "benefit_type": "农村低保", "previous_result": None,
    }
    row.update(extra)
    return row


@pytest.fixture
def exceptions() -> pd.DataFrame:
    """Three villages of 回龙镇: 龙门村 and 石桥村 have exceptions, 新华村 none."""
    rows = [
        _case("DP-0001", "DECEASED_PAID", "龙门村", "王德明", "500228194503121235", head_name="王德明",
              matched_source="公安,计生", matched_name="王德明", death_date="2020-01-15",
              months_overpaid=4, amount_overpaid=2480.0, detail="公安、计生两个来源均登记死亡"),
        _case("DS-0002", "DECEASED_SUSPECT", "龙门村", HYPERLINK, "500228195011023344",
              matched_source="公安", matched_name="王得明", death_date="2020-05-03",
              months_overpaid=0, amount_overpaid=0.0, score=0.91),
        _case("NM-0003", "ID_NAME_MISMATCH", "龙门村", "李秀英", "500228196208085566",
              matched_name="李秀芳", previous_result="不属实"),
        _case("GE-0004", "GRADUAL_EXIT_OVERDUE", "龙门村", "张国强", "500228197001017788"),
        _case("IV-0005", "INVALID_ID", "石桥村", "陈小红", None, id_number_raw="5.00228E+17"),
        _case("DB-0006", "DUPLICATE_BENEFIT", "石桥村", "+1+1", "500228198003039900"),
        _case("MO-0007", "MOVED_OUT", "石桥村", "-2", "500228198512121111", detail="@SUM(A1)"),
        _case("UV-0008", "UNCOVERED_VULNERABLE", "石桥村", "刘大山", "500228195505052222",
              head_name=None, benefit_type=None, household_id=None, detail="重度残疾，未享受救助"),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def villages() -> pd.DataFrame:
    return pd.DataFrame({"township": [TOWNSHIP] * 3, "village": ["龙门村", "石桥村", "新华村"]})


@pytest.fixture
def written(tmp_path, exceptions, villages):
    paths = write_village_workbooks(exceptions, tmp_path, MONTH, villages=villages, filled_on=FILLED_ON)
    return {p.name: p for p in paths}


def _open(written, village):
    return openpyxl.load_workbook(written[f"{TOWNSHIP}_{village}_异常核实表_{MONTH}.xlsx"])


def _visible_values(wb):
    return [c.value for ws in wb.worksheets if ws.sheet_state == "visible"
            for row in ws.iter_rows() for c in row if c.value is not None]


def _column(ws, header):
    headers = [c.value for c in ws[3]]
    return headers.index(header) + 1


def _data_rows(ws):
    """Rows with a 核查编号, as header → value dicts."""
    headers = [c.value for c in ws[3]]
    case_col = headers.index("核查编号")
    return [dict(zip(headers, (c.value for c in row)))
            for row in ws.iter_rows(min_row=4) if row[case_col].value]


# --- excel_safe -----------------------------------------------------------------


def _workbook_content(path):
    """Everything a reader sees in a workbook, minus _meta's generated_at timestamp and the seal
    over it."""
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        stamped = {c.row for c in ws["A"] if c.value in ("generated_at", "seal")} if ws.title == "_meta" else set()
        cells = [(c.coordinate, c.value, c.number_format, c.font.b, c.fill.fgColor.rgb, c.alignment.wrap_text,
                  c.border.left.style) for row in ws.iter_rows() for c in row if c.row not in stamped]
        out.append((ws.title, ws.sheet_state, str(ws.freeze_panes), sorted(map(str, ws.merged_cells.ranges)),
                    [(v.sqref, v.formula1) for v in ws.data_validations.dataValidation],
                    ws.page_setup.orientation, ws.print_title_rows, cells))
    return out


def test_worker_processes_write_the_same_workbooks(tmp_path, exceptions, villages, monkeypatch):
    """A city's thousands of villages go to two worker processes; each workbook is the one
    a single process writes (a tiny threshold makes these three villages take that path)."""
    from flows.reports import parallel

    one = write_village_workbooks(exceptions, tmp_path / "one", MONTH, villages=villages, filled_on=FILLED_ON,
                                  workers=1)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_WORKBOOKS", 1)
    monkeypatch.setattr(parallel, "BATCH_SIZE", 1)
    two = write_village_workbooks(exceptions, tmp_path / "two", MONTH, villages=villages, filled_on=FILLED_ON,
                                  workers=2)
    assert [p.name for p in one] == [p.name for p in two] and len(one) == 3
    for a, b in zip(one, two):
        assert _workbook_content(a) == _workbook_content(b), a.name

def test_the_report_steps_one_pool_writes_the_same_workbooks(tmp_path, exceptions, villages, monkeypatch):
    """A city's report step starts one pool as it begins (parallel.report_pool); the village
    workbooks go to it without waiting, in two calls without a second start, and are the
    ones a single process writes."""
    from flows.reports import parallel

    one = write_village_workbooks(exceptions, tmp_path / "one", MONTH, villages=villages, filled_on=FILLED_ON,
                                  workers=1)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_VILLAGES", 1)
    monkeypatch.setattr(parallel, "BATCH_SIZE", 1)
    pools = []
    mapped = parallel._mapped
    monkeypatch.setattr(parallel, "_mapped", lambda pool, *rest: pools.append(pool) or mapped(pool, *rest))
    with parallel.report_pool(len(villages)) as pool:
        assert pool is not None
        # both handed to the workers before either is waited for, as the report step does
        pending_two = start_village_workbooks(exceptions, tmp_path / "two", MONTH, villages=villages,
                                              filled_on=FILLED_ON)
        pending_three = start_village_workbooks(exceptions, tmp_path / "three", MONTH, villages=villages,
                                                filled_on=FILLED_ON)
        two, three = pending_two.result(), pending_three.result()
    assert pools == [pool, pool]
    assert not parallel._step_pool     # gone with the step
    assert [p.name for p in one] == [p.name for p in two] == [p.name for p in three] and len(one) == 3
    for a, b, c in zip(one, two, three):
        assert _workbook_content(a) == _workbook_content(b) == _workbook_content(c), a.name


def test_a_small_month_gets_no_pool():
    from flows.reports import parallel

    with parallel.report_pool(parallel.PARALLEL_MIN_VILLAGES - 1) as pool:
        assert pool is None and not parallel._step_pool


@pytest.mark.parametrize("payload", [HYPERLINK, "+1+1", "-2", "@SUM(A1)", "\t=1+1", "\r=1"])
def test_formula_payloads_are_written_as_text(tmp_path, payload):
    book = Book()
    book.add_sheet("表").write(1, 1, payload)
    book.save(tmp_path / "x.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "x.xlsx").active["A1"]
    assert cell.data_type != "f"
    # Some XML parsers turn a bare CR into LF on reading; the text is otherwise untouched.
    assert cell.value in (payload, payload.replace("\r", "\n"))
    assert cell.quotePrefix


def test_excel_safe_cleans_blanks_numbers_and_control_characters():
    import numpy as np

    assert excel_safe(None) is None
    assert excel_safe(math.nan) is None
    assert excel_safe(pd.NA) is None
    assert excel_safe(np.int64(3)) == 3 and type(excel_safe(np.int64(3))) is int
    assert excel_safe("张\x07三") == "张三"
    assert excel_safe(HYPERLINK) == HYPERLINK


# --- village workbooks ------------------------------------------------------------

def test_one_workbook_per_village_and_a_confirmation_for_the_village_without(written):
    assert sorted(written) == sorted([
        f"回龙镇_石桥村_异常核实表_{MONTH}.xlsx",
        f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx",
        f"回龙镇_新华村_无异常确认表_{MONTH}.xlsx",
    ])
    wb = openpyxl.load_workbook(written[f"回龙镇_新华村_无异常确认表_{MONTH}.xlsx"])
    text = "".join(str(v) for v in _visible_values(wb))
    assert "未发现异常" in text and "村（社区）负责人签字" in text and "盖章" in text


def test_no_confirmation_when_switched_off(tmp_path, exceptions, villages):
    paths = write_village_workbooks(exceptions, tmp_path, MONTH, villages=villages,
                                    no_exception_sheet=False, filled_on=FILLED_ON)
    assert len(paths) == 2 and not any("无异常" in p.name for p in paths)


def test_sheets_follow_family_order_with_hidden_meta(written):
    wb = _open(written, "龙门村")
    assert wb.sheetnames == ["说明", "死亡疑点", "身份信息", "家庭变动", "_meta"]
    assert wb["_meta"].sheet_state == "hidden"
    assert wb.active.title == "说明"
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True) if r[0] != "case"}
    assert meta["kind"] == "village_exceptions" and meta["village"] == "龙门村"
    assert meta["month"] == MONTH and meta["format_version"] == "2"
    assert len(meta["seal"]) == 64   # the office's HMAC over _meta (flows/cases/seal.py)
    case_ids = "\n".join(sorted(["DP-0001", "DS-0002", "NM-0003", "GE-0004"]))
    expected = hashlib.sha256(case_ids.encode()).hexdigest()
    assert meta["case_fingerprint"] == expected


def test_instructions_explain_the_rules_present(written):
    text = "\n".join(str(v) for v in _visible_values(_open(written, "龙门村")) if isinstance(v, str))
    assert "死亡仍在保（1条" in text and "由镇民政办停发并追回多发资金" in text
    assert "立即停发" not in text and "请立即" not in text      # stopping a payment is the office's job
    assert "身份证号与姓名不符（1条" in text
    assert "重复享受（" not in text  # not present in 龙门村
    assert "属实/不属实/已处理" in text and "签字并盖章" in text
    assert "表内含个人信息，仅限核查使用，不得外传" in text


def test_title_unit_line_and_headers(written):
    ws = _open(written, "龙门村")["死亡疑点"]
    assert ws["A1"].value == "回龙镇龙门村2020年5月死亡疑点核实表"
    assert ws["A1"].font.b and ws["A1"].font.sz == 16 and ws["A1"].alignment.horizontal == "center"
    last_letter = openpyxl.utils.get_column_letter(len(DEATH_HEADERS))
    assert f"A1:{last_letter}1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "填报单位：回龙镇民政和社会事务办（龙门村）"
    assert any(str(c.value).startswith("填报时间：") for c in ws[2] if c.value)
    assert [c.value for c in ws[3]] == DEATH_HEADERS


def test_family_columns_and_previous_result(written):
    wb = _open(written, "龙门村")
    identity = [c.value for c in wb["身份信息"][3]]
    assert "户籍库姓名" in identity and "死亡日期" not in identity
    assert identity[-3:] == ["核实结果", "备注", "上次核实"]
    (row,) = _data_rows(wb["身份信息"])
    assert row["户籍库姓名"] == "李秀芳" and row["上次核实"] == "不属实"
    assert row["核实结果"] is None  # never prefilled
    assert "上次核实" not in [c.value for c in wb["死亡疑点"][3]]


def test_death_rows_dates_amounts_and_total(written):
    ws = _open(written, "龙门村")["死亡疑点"]
    rows = _data_rows(ws)
    paid = next(r for r in rows if r["核查编号"] == "DP-0001")
    assert paid["疑点类型"] == "死亡仍在保" and paid["死亡信息来源"] == "公安,计生"
    assert paid["死亡日期"] == dt.datetime(2020, 1, 15)
    assert paid["多发金额（元）"] == 2480.0
    suspect = next(r for r in rows if r["核查编号"] == "DS-0002")
    assert suspect["疑点说明"].endswith("死亡记录姓名：王得明")      # the record's name, where it differs
    amount_col = _column(ws, "多发金额（元）")
    totals = {r[0].value: r[amount_col - 1].value for r in ws.iter_rows(min_row=4) if str(r[0].value).startswith("合计")}
    # confirmed and suspected deaths are totalled apart
    assert totals == {"合计：已确认死亡（1条）": 2480.0, "合计：疑似死亡（待核实，未计入）（1条）": 0.0}


def test_a_month_two_sheet_prints_legibly_on_a4(tmp_path, exceptions):
    """The death sheet with everything a second month adds (督办, recovery, 上次核实) and long
    texts: the print scale computed from the sheet's own widths and page setup is >= 70 %."""
    from flows.reports.excel_style import PRINT_MARGINS

    month_two = exceptions.assign(
        escalation="已核实仍在发放：2020年5月核实为属实，其后又发放1个月，已报镇民政办督办",
        recovery_balance=12480.5, previous_result="属实", previous_month="2020-05",
        detail="公安、计生两个来源均登记死亡，死亡日期2020年1月15日；已多发4个月，核实后又发放1个月")
    paths = write_village_workbooks(month_two, tmp_path, MONTH, filled_on=FILLED_ON)
    wb = openpyxl.load_workbook(next(p for p in paths if "龙门村" in p.name))
    for ws in (wb[name] for name in wb.sheetnames if name not in ("说明", "_meta")):
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        last = openpyxl.utils.cell.range_boundaries(ws.print_area[0].split("!")[-1].replace("$", ""))[2] \
            if isinstance(ws.print_area, list) else openpyxl.utils.cell.range_boundaries(
                ws.print_area.split("!")[-1].replace("$", ""))[2]
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, last + 1)]
        printable_px = (11.69 - ws.page_margins.left - ws.page_margins.right) * 96
        scale = min(1.0, printable_px / sum(7 * w for w in widths))
        assert scale >= 0.70, (ws.title, round(scale, 2), widths)
        assert (ws.page_margins.left, ws.page_margins.right) == PRINT_MARGINS[:2]
    death = wb["死亡疑点"]
    headers = [c.value for c in death[3]]
    assert {"督办", "应追缴余额（元）", "已追回金额", "追回日期", "核实结果", "备注", "上次核实"} <= set(headers)
    row = _data_rows(death)[0]
    assert row["上次核实"] == "属实（2020-05）"
    text = " ".join(str(v) for v in _visible_values(wb))
    assert ".xlsx" not in text and "录入" not in text and "请立即停发" not in text


def test_result_column_has_the_drop_down(written):
    ws = _open(written, "龙门村")["死亡疑点"]
    letter = openpyxl.utils.get_column_letter(_column(ws, "核实结果"))
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"属实,不属实,已处理"'
    assert str(validation.sqref) == f"{letter}4:{letter}5"
    assert validation.showErrorMessage and "属实" in validation.error


def test_print_setup_and_frozen_header(written):
    ws = _open(written, "龙门村")["死亡疑点"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$3"
    assert ws.print_area
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.freeze_panes == "A4"


def test_ids_are_masked_text_by_default(written):
    wb = _open(written, "龙门村")
    ws = wb["死亡疑点"]
    id_col = _column(ws, "身份证号")
    assert ws.cell(4, id_col).value == "500228********1235"
    assert ws.cell(4, id_col).data_type == "s"
    assert not any("500228194503121235" in str(v) for v in _visible_values(wb))


def test_invalid_id_is_masked_from_the_raw_value(written):
    (row,) = _data_rows(_open(written, "石桥村")["身份信息"])
    assert row["身份证号"] == "5.0022*E+17"


def test_ids_unmasked_on_request(tmp_path, exceptions):
    paths = write_village_workbooks(exceptions, tmp_path, MONTH, mask_ids=False, filled_on=FILLED_ON)
    ws = openpyxl.load_workbook(next(p for p in paths if "龙门村" in p.name))["死亡疑点"]
    cell = ws.cell(4, _column(ws, "身份证号"))
    assert cell.value == "500228194503121235" and cell.data_type == "s"


def test_formula_like_names_and_details_stay_text(written):
    cells = [c for name in ("龙门村", "石桥村") for ws in _open(written, name).worksheets
             for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {HYPERLINK, "+1+1", "-2", "@SUM(A1)"} <= values


def test_each_workbook_holds_only_its_village(written, exceptions):
    for village in ("龙门村", "石桥村"):
        values = set(_visible_values(_open(written, village)))
        mine = exceptions[exceptions["village"] == village]
        others = exceptions[exceptions["village"] != village]
        assert set(mine["case_id"]) <= values
        assert not set(others["case_id"]) & values
        assert not set(others["name"]) & values


# --- township summary ----------------------------------------------------------------

@pytest.fixture
def stats() -> pd.DataFrame:
    return pd.DataFrame([{
        "township": TOWNSHIP, "households": 812, "persons": 1377, "poverty_households": None,
        "adjust_amount": 3560.5, "include_households": 3, "complete_info": 12,
        "overpaid_total": 2480.0, "remark": "已停发2户",
    }])


@pytest.fixture
def counts() -> pd.DataFrame:
    return pd.DataFrame([
        {"township": TOWNSHIP, "village": "龙门村", "rule": "DECEASED_PAID", "n": 1, "amount_overpaid": 2480.0},
        {"township": TOWNSHIP, "village": "龙门村", "rule": "ID_NAME_MISMATCH", "n": 2, "amount_overpaid": None},
        {"township": TOWNSHIP, "village": "石桥村", "rule": "MOVED_OUT", "n": 3, "amount_overpaid": 0.0},
    ])


def test_summary_annex_layout_and_numbers(tmp_path, stats, counts):
    (path,) = write_township_summary(stats, counts, tmp_path, MONTH, filled_on=FILLED_ON,
                                     reporting_unit="{township}人民政府")
    assert path.name == f"回龙镇_城乡低保摸排处理汇总表_{MONTH}.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["附件4", "分村统计", "数据源检查"]
    ws = wb["附件4"]
    header_merges = {str(r) for r in ws.merged_cells.ranges if r.min_row >= 3 and r.max_row <= 4}
    assert header_merges == {"A3:A4", "B3:D3", "E3:G3", "H3:H4"}
    assert {"A1:H1", "A2:H2"} <= {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].value == "城乡低保摸排处理汇总表"
    assert ws["A2"].value.startswith("填报单位：回龙镇人民政府（盖章）") and "填报时间" in ws["A2"].value
    assert "统计月份：2020年5月" in ws["A2"].value
    assert [ws[c].value for c in ("A3", "B3", "E3", "H3")] == ["乡镇", "基本情况", "摸排处理情况", "备注"]
    assert [(c.value or "").replace("\n", "") for c in ws[4]][1:7] == [
        "低保户数", "低保人数", "其中建卡贫困户兜底户数", "拟调整补差金额（元）", "拟整户纳入（户）", "拟完善资料（人）"]
    assert_headers_unbroken(ws, 4)
    data = [c.value for c in ws[5]]
    assert data[:7] == ["回龙镇", 812, 1377, None, 3560.5, 3, 12]
    assert data[7].startswith("已停发2户") and "2,480.00" in data[7]
    assert not any(str(c.value).startswith("合计") for c in ws["A"])  # one township, no 合计
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$4"


def test_summary_counts_by_village_and_rule(tmp_path, stats, counts):
    (path,) = write_township_summary(stats, counts, tmp_path, MONTH, filled_on=FILLED_ON)
    ws = openpyxl.load_workbook(path)["分村统计"]
    headers = [c.value for c in ws[3]]
    assert headers[:3] == ["序号", "村（社区）", "死亡仍在保"]
    headers = [h.replace("\n", "") for h in headers]
    assert headers[-3:] == ["合计", "多发金额（已确认）（元）", "多发金额（疑似待核实）（元）"]
    assert_headers_unbroken(ws, 3)
    rows = {r[1]: dict(zip(headers, r)) for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["龙门村"]["死亡仍在保"] == 1 and rows["龙门村"]["身份证号与姓名不符"] == 2
    assert rows["龙门村"]["合计"] == 3 and rows["龙门村"]["多发金额（已确认）（元）"] == 2480.0
    assert rows["龙门村"]["多发金额（疑似待核实）（元）"] == 0
    assert rows["石桥村"]["户籍已迁出"] == 3 and rows["石桥村"]["死亡仍在保"] == 0
    assert rows["合计"]["合计"] == 6 and rows["合计"]["多发金额（已确认）（元）"] == 2480.0


def test_suspected_amounts_are_labelled_apart(tmp_path, stats, counts):
    counts = pd.concat([counts, pd.DataFrame([{"township": TOWNSHIP, "village": "石桥村", "rule": "DECEASED_SUSPECT",
                                               "n": 1, "amount_overpaid": 620.0}])])
    stats = stats.assign(overpaid_suspected=620.0)
    (path,) = write_township_summary(stats, counts, tmp_path, MONTH, filled_on=FILLED_ON)
    wb = openpyxl.load_workbook(path)
    ws = wb["分村统计"]
    headers = [c.value.replace("\n", "") for c in ws[3]]
    total = next(dict(zip(headers, r)) for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "合计")
    assert (total["多发金额（已确认）（元）"], total["多发金额（疑似待核实）（元）"]) == (2480.0, 620.0)
    remark = wb["附件4"]["H5"].value
    assert "核查发现多发资金2,480.00元（已确认死亡）" in remark and "疑似死亡待核实涉及620.00元（未计入）" in remark


def assert_headers_unbroken(ws, row):
    """Every header line fits its column, so Excel breaks a header only where it has a line
    break — never inside a word or a bracket; and no line opens or closes a bracket alone."""
    from flows.reports.excel_style import display_width

    for cell in ws[row]:
        if not cell.value:
            continue
        width = ws.column_dimensions[cell.column_letter].width
        for line in str(cell.value).split("\n"):
            assert display_width(line) + 1 <= width, (cell.value, width)
            assert line.count("（") == line.count("）"), cell.value


def test_every_village_gets_its_own_file_whatever_its_name(tmp_path, exceptions):
    from flows.reports.excel_style import file_name_notes
    from flows.reports.workbooks import village_file_parts

    long_name = "很长的村名" * 60                     # 300 characters: more than a file name may hold
    frame = exceptions[exceptions["village"] == "龙门村"].copy()
    copies = [frame.assign(village=name, case_id=[f"{c}-{i}" for c in frame["case_id"]])
              for i, name in enumerate(("a/b", "a_b", long_name))]
    both = pd.concat(copies, ignore_index=True)
    paths = write_village_workbooks(both, tmp_path, MONTH, filled_on=FILLED_ON)
    assert len(paths) == 3 == len({p.name for p in paths}) and all(p.exists() for p in paths)
    villages = {openpyxl.load_workbook(p)["_meta"]["B4"].value for p in paths}
    assert villages == {"a/b", "a_b", long_name}
    assert all(len(p.name.encode("utf-8")) < 255 for p in paths)
    notes = file_name_notes(village_file_parts(both))
    assert len(notes) == 3 and all("文件名改为" in n for n in notes)


def test_annex_adds_a_total_row_for_several_townships(tmp_path, stats):
    second = {**stats.iloc[0].to_dict(), "township": "碧山镇", "households": 100, "poverty_households": 4}
    book = Book()
    write_annex_sheet(book.add_sheet("附件4"), [stats.iloc[0].to_dict(), second], filled_on=FILLED_ON)
    book.save(tmp_path / "annex.xlsx")
    total = [c.value for c in openpyxl.load_workbook(tmp_path / "annex.xlsx").active[7]]
    assert total[:4] == ["合计", 912, 2754, 4]


# --- returns ------------------------------------------------------------------------

def _fill(path, answers, *, sheet="死亡疑点", edit=None):
    """Fill 核实结果 (and 备注) by case_id, as a village would; `edit` = (case_id, header, value)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    case_col, result_col, remark_col = (_column(ws, h) for h in ("核查编号", "核实结果", "备注"))
    for row in range(4, ws.max_row + 1):
        case_id = ws.cell(row, case_col).value
        if case_id in answers:
            ws.cell(row, result_col).value = answers[case_id]
            ws.cell(row, remark_col).value = "已入户核实"
        if edit and case_id == edit[0]:
            ws.cell(row, _column(ws, edit[1])).value = edit[2]
    wb.save(path)


def test_returned_decisions_are_read(written):
    path = written[f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx"]
    _fill(path, {"DP-0001": "属实"})
    _fill(path, {"NM-0003": "不属实"}, sheet="身份信息")
    returned = read_returned_workbook(path, expected_month=MONTH)
    assert (returned.township, returned.village, returned.month) == (TOWNSHIP, "龙门村", MONTH)
    assert returned.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    decisions = returned.decisions.set_index("case_id")
    assert list(returned.decisions.columns) == [
        "case_id", "rule_family", "row", "masked_id", "result", "choice", "remark"]
    assert sorted(decisions.index) == ["DP-0001", "NM-0003"]  # unanswered rows are not decisions
    assert decisions.loc["DP-0001", "result"] == "属实"
    assert decisions.loc["DP-0001", "rule_family"] == "死亡疑点"
    assert decisions.loc["DP-0001", "masked_id"] == "500228********1235"
    assert decisions.loc["DP-0001", "remark"] == "已入户核实"
    assert decisions.loc["NM-0003", "row"] == 4


def test_formula_like_name_survives_a_return(written):
    path = written[f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx"]
    _fill(path, {"DS-0002": "已处理"})
    decisions = read_returned_workbook(path, expected_month=MONTH).decisions
    assert list(decisions["case_id"]) == ["DS-0002"]


def test_wrong_month_is_refused(written):
    path = written[f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx"]
    with pytest.raises(ReturnError, match="该表为2020年5月的核实表，不是2020年6月") as error:
        read_returned_workbook(path, expected_month="2020-06")
    assert path.name in str(error.value)


def test_edited_id_refuses_the_whole_file(written):
    path = written[f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx"]
    _fill(path, {"DP-0001": "属实", "DS-0002": "属实"}, edit=("DS-0002", "身份证号", "500228195011023399"))
    with pytest.raises(ReturnError, match="姓名或身份证号与下发时不一致") as error:
        read_returned_workbook(path, expected_month=MONTH)
    message = str(error.value)
    assert "DS-0002" in message and "500228" not in message and "王德明" not in message


def test_value_outside_the_list_is_refused(written):
    path = written[f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx"]
    _fill(path, {"DP-0001": "是的"})
    with pytest.raises(ReturnError, match="核实结果不是"):
        read_returned_workbook(path, expected_month=MONTH)


def test_copied_row_and_unknown_case_are_refused(written):
    path = written[f"回龙镇_龙门村_异常核实表_{MONTH}.xlsx"]
    wb = openpyxl.load_workbook(path)
    ws = wb["死亡疑点"]
    case_col = _column(ws, "核查编号")
    ws.cell(5, case_col).value = "DP-0001"  # duplicate of row 4
    wb.save(path)
    with pytest.raises(ReturnError, match="重复"):
        read_returned_workbook(path, expected_month=MONTH)
    ws.cell(5, case_col).value = "XX-9999"
    wb.save(path)
    with pytest.raises(ReturnError, match="不是本表下发时的编号"):
        read_returned_workbook(path, expected_month=MONTH)


def test_foreign_workbook_is_refused(tmp_path):
    path = tmp_path / "回龙镇_龙门村_异常核实表_2020-05.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ReturnError, match="不是本系统下发"):
        read_returned_workbook(path, expected_month=MONTH)
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    with pytest.raises(ReturnError, match="bad.xlsx"):
        read_returned_workbook(tmp_path / "bad.xlsx", expected_month=MONTH)


def test_signed_confirmation_returns_no_decisions(written):
    returned = read_returned_workbook(written[f"回龙镇_新华村_无异常确认表_{MONTH}.xlsx"],
                                      expected_month=MONTH)
    assert returned.kind == "village_no_exceptions" and returned.decisions.empty


def test_frame_records_are_to_dict_records_value_for_value_and_type_for_type():
    """workbooks.frame_records (the village workbooks' and ledgers' rows) against pandas'
    own to_dict("records"): every dtype a report frame has, object columns holding numpy
    scalars, None, NaN, NaT and Timestamps included."""
    import numpy as np

    from flows.reports.workbooks import frame_records

    n = 7
    frame = pd.DataFrame({
        "text": ["天竺村", None, "a", "b", "c", "d", "e"],
        "int": np.arange(n, dtype="int64"),
        "float": [1.5, np.nan, 2.0, 0.0, -1.0, 3.25, np.nan],
        "bool": [True, False] * 3 + [True],
        "when": pd.to_datetime(["2020-05-01", None, "2019-12-31", "2020-01-01", None, "2020-02-29", "2020-03-01"]),
        "mixed": [np.int64(3), np.float64(2.5), np.bool_(True), np.datetime64("2020-05-01"), None, "x", 7],
        "day": [pd.Timestamp("2020-05-01"), pd.NaT, None, dt.date(2020, 5, 1), 1, 2.0, "s"],
    })
    as_object = frame.astype(object).where(frame.notna(), None)
    for table in (frame, as_object, frame.iloc[:0]):
        expected, found = table.to_dict("records"), frame_records(table)
        assert [{k: (type(v), repr(v)) for k, v in r.items()} for r in found] == \
               [{k: (type(v), repr(v)) for k, v in r.items()} for r in expected]


def test_recovery_ledger_prints_its_total_row(tmp_path):
    """The 合计 row of the 追缴台账 is inside the print area (it used to be written after it
    and so was left off the printed paper)."""
    from flows.reports.recovery_ledger import write_recovery_ledgers

    entry = {"township": "回龙镇", "village": "天竺村", "household_id": "HL-1", "monthly_amount": 204,
             "confirmed_month": "2020-05", "months_before": 2, "amount_before": 408, "months_after": 1,
             "amount_after": 204, "recovered": 100, "written_off": 0, "balance": 512, "history": None}
    entries = pd.DataFrame([{**entry, "case_id": "C000005", "name": "崔遥笑"},
                            {**entry, "case_id": "C000007", "name": "贾敬海", "amount_before": 9324, "balance": 9428}])
    [path] = write_recovery_ledgers(entries, tmp_path, "2020-05")
    ws = openpyxl.load_workbook(path)["追缴台账"]
    header = [c.value for c in ws[3]]
    total = [c.value for c in ws[6]]
    assert total[0] == "合计"
    assert total[header.index("核实前多发金额（元）")] == 9732
    assert total[header.index("未追回余额（元）")] == 9940
    assert ws.print_area == "'追缴台账'!$A$1:$O$6"
    # money prints as money, the totals as their columns do
    for column in ("月发放金额（元）", "核实前多发金额（元）", "未追回余额（元）"):
        assert ws.cell(4, header.index(column) + 1).number_format == "#,##0.00"
    assert ws.cell(6, header.index("未追回余额（元）") + 1).number_format == "#,##0.00"
    assert ws.cell(6, header.index("未追回余额（元）") + 1).font.b
