"""Staging a small roster: bad values are kept raw, set to NULL and reported; only nameless rows go.
Read and staged as a run does it (flows.normalize.staging.stage_files), in an in-memory DuckDB."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import stage_in_memory

from flows.config import load_settings
from flows.sources.kinds import REJECT_COLUMNS

SETTINGS = load_settings()
ROSTER = SETTINGS.sources["roster"]
HEADER = list(ROSTER.columns.values())
SHEET = "回龙镇名册"
FILE = "roster.xlsx"

ID_A = "500228195001011237"  # 男, 1950-01-01
ID_B = "11010519491231002X"  # 女, 1949-12-31
ID_C = "500228500101123"  # 15-digit legacy form of ID_A


def row(name, id_number, household, **overrides) -> dict:
    values = {
        "区县": "梁平区", "乡镇（街道）": "回龙镇", "村（社区）": "天竺村", "户编号": household,
        "户主姓名": name, "户主身份证号": id_number, "姓名": name, "身份证号码": id_number, "性别": "男",
        "出生日期": "1950-01-01", "与户主关系": "户主", "救助类型": "农村低保", "保障人数": "1",
        "个人月保障金额（元）": "400", "纳入年月": "2018-01", "渐退起始年月": "", "健康状况": "健康",
        "联系电话": "13800000000",
    }
    values.update(overrides)
    return values


# Spreadsheet row numbers (header on row 1) for each case.
ROWS = {
    2: row("张 三", ID_B.lower(), "HL-001", **{"性别": "女", "出生日期": "1949/12/31", "个人月保障金额（元）": "410元"}),
    3: row("", ID_A, "HL-002"),  # no name: dropped
    4: row("李四", ID_A, "HL-003", **{"个人月保障金额（元）": "三百"}),  # amount not a number
    5: row("王五", ID_A, "HL-004", **{"出生日期": "不详", "纳入年月": "2018年13月"}),  # bad date and month
    6: row("赵六", int(ID_A), "HL-005"),  # ID typed into a number cell
    7: row("钱七", "500228195001011238", "HL-006"),  # wrong check digit: kept, it is a finding
    8: row("孙八", ID_C, "HL-007", **{"性别": "1", "渐退起始年月": "2019年3月"}),
    9: row("周九", ID_A, "", **{"性别": "未知"}),  # no household number: dropped
}


@pytest.fixture(scope="module")
def staged_and_rejects(tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("stage") / FILE
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADER)
    for number in sorted(ROWS):
        ws.append([ROWS[number][h] if ROWS[number][h] != "" else None for h in HEADER])
    wb.save(path)
    return stage_roster(path)


def stage_roster(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    staged, rejects, _ = stage_in_memory({"roster": [path]})
    return staged["roster"], rejects


def staged_row(staged: pd.DataFrame, number: int) -> pd.Series:
    match = staged.loc[staged["row_number"] == number]
    assert len(match) == 1, f"row {number} not staged exactly once"
    return match.iloc[0]


def rejects_for(rejects: pd.DataFrame, number: int, column: str) -> pd.DataFrame:
    return rejects.loc[(rejects["row"] == number) & (rejects["column"] == column)]


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def test_rejects_have_the_documented_columns(staged_and_rejects):
    _, rejects = staged_and_rejects
    assert list(rejects.columns) == REJECT_COLUMNS


def test_row_without_a_name_is_dropped_and_reported_with_its_location(staged_and_rejects):
    staged, rejects = staged_and_rejects
    assert 3 not in set(staged["row_number"])
    found = rejects_for(rejects, 3, "姓名")
    assert len(found) == 1
    reject = found.iloc[0]
    assert reject["source"] == "roster"
    assert reject["file"] == FILE
    assert reject["sheet"] == SHEET
    assert is_chinese(reject["reason"]) and "姓名" in reject["reason"]
    # A dropped row is reported once, not once per bad field.
    assert list(rejects.loc[rejects["row"] == 3, "column"]) == ["姓名"]


def test_non_numeric_amount_keeps_the_row_with_a_null_amount_and_a_reject(staged_and_rejects):
    staged, rejects = staged_and_rejects
    li = staged_row(staged, 4)
    assert li["name"] == "李四"
    assert pd.isna(li["monthly_amount"])
    assert li["id_number"] == ID_A  # the rest of the row is intact
    found = rejects_for(rejects, 4, "个人月保障金额（元）")
    assert len(found) == 1
    assert found.iloc[0]["value"] == "三百"
    assert found.iloc[0]["file"] == FILE and found.iloc[0]["sheet"] == SHEET
    assert is_chinese(found.iloc[0]["reason"])


def test_amount_with_a_unit_is_understood(staged_and_rejects):
    staged, rejects = staged_and_rejects
    assert staged_row(staged, 2)["monthly_amount"] == 410.0
    assert staged_row(staged, 5)["monthly_amount"] == 400.0
    assert rejects_for(rejects, 2, "个人月保障金额（元）").empty


def test_unparseable_date_keeps_the_row_with_a_null_date_and_a_reject(staged_and_rejects):
    staged, rejects = staged_and_rejects
    wang = staged_row(staged, 5)
    assert wang["name"] == "王五"
    assert pd.isna(wang["birth_date"])
    found = rejects_for(rejects, 5, "出生日期")
    assert len(found) == 1
    assert found.iloc[0]["value"] == "不详"
    assert is_chinese(found.iloc[0]["reason"]) and "日期" in found.iloc[0]["reason"]


def test_unparseable_month_keeps_the_row_with_a_null_month_and_a_reject(staged_and_rejects):
    staged, rejects = staged_and_rejects
    assert pd.isna(staged_row(staged, 5)["enrolled_month"])
    found = rejects_for(rejects, 5, "纳入年月")
    assert len(found) == 1
    assert found.iloc[0]["value"] == "2018年13月"
    assert "年月" in found.iloc[0]["reason"]


def test_good_dates_and_months_are_parsed(staged_and_rejects):
    staged, _ = staged_and_rejects
    zhang = staged_row(staged, 2)
    assert zhang["birth_date"] == dt.date(1949, 12, 31)
    assert zhang["enrolled_month"] == dt.date(2018, 1, 1)
    assert staged_row(staged, 8)["gradual_exit_month"] == dt.date(2019, 3, 1)
    assert pd.isna(zhang["gradual_exit_month"])  # blank is not an error
    assert rejects_for(staged_and_rejects[1], 2, "渐退起始年月").empty


def test_raw_id_is_kept_beside_the_normalised_one(staged_and_rejects):
    staged, _ = staged_and_rejects
    zhang = staged_row(staged, 2)
    assert zhang["id_number_raw"] == "11010519491231002x"
    assert zhang["id_clean"] == ID_B
    assert zhang["id_number"] == ID_B
    assert zhang["id_status"] == "valid"
    assert zhang["id_sex"] == "女"
    assert zhang["id_birth_date"] == dt.date(1949, 12, 31)


def test_15_digit_id_is_staged_as_its_18_digit_form(staged_and_rejects):
    staged, _ = staged_and_rejects
    sun = staged_row(staged, 8)
    assert sun["id_number_raw"] == ID_C
    assert sun["id_number"] == ID_A
    assert sun["id_status"] == "valid"


def test_id_from_a_number_cell_is_corrupted_and_never_an_id_number(staged_and_rejects):
    staged, _ = staged_and_rejects
    zhao = staged_row(staged, 6)
    assert zhao["name"] == "赵六"
    assert zhao["id_status"] == "corrupted"
    assert pd.isna(zhao["id_number"])
    assert zhao["id_number_raw"].isdigit() and len(zhao["id_number_raw"]) == 18  # kept for the clerk to see


def test_invalid_id_is_a_finding_not_a_read_error(staged_and_rejects):
    staged, rejects = staged_and_rejects
    qian = staged_row(staged, 7)
    assert qian["id_status"] == "bad_check_digit"
    assert pd.isna(qian["id_number"])
    assert qian["id_number_raw"] == "500228195001011238"
    assert rejects_for(rejects, 7, "身份证号码").empty


def test_names_are_normalised_with_raw_kept_and_pinyin_added(staged_and_rejects):
    staged, _ = staged_and_rejects
    zhang = staged_row(staged, 2)
    assert zhang["name_raw"] == "张 三"
    assert zhang["name"] == "张三"
    assert zhang["name_pinyin"] == "zhang san"


def test_sex_codes_are_mapped_to_chinese(staged_and_rejects):
    staged, _ = staged_and_rejects
    assert staged_row(staged, 8)["sex"] == "男"  # "1"
    assert staged_row(staged, 2)["sex"] == "女"


def test_row_without_a_household_number_is_dropped_and_reported(staged_and_rejects):
    staged, rejects = staged_and_rejects
    assert 9 not in set(staged["row_number"])
    found = rejects_for(rejects, 9, "户编号")
    assert len(found) == 1
    assert is_chinese(found.iloc[0]["reason"])


def test_lineage_columns_point_back_to_the_file(staged_and_rejects):
    staged, _ = staged_and_rejects
    assert sorted(staged["row_number"]) == [2, 4, 5, 6, 7, 8]
    assert set(staged["file"]) == {FILE}
    assert set(staged["sheet"]) == {SHEET}
    assert set(staged["source"]) == {"roster"}


def test_unknown_sex_is_set_to_null_with_a_reject(tmp_path):
    path = tmp_path / "sex.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    values = row("吴十", ID_A, "HL-010", **{"性别": "未知"})
    ws.append([values[h] or None for h in HEADER])
    wb.save(path)
    staged, rejects = stage_roster(path)
    assert pd.isna(staged.loc[0, "sex"])
    found = rejects.loc[rejects["column"] == "性别"]
    assert list(found["value"]) == ["未知"] and list(found["row"]) == [2]


def test_empty_table_stages_nothing(tmp_path):
    path = tmp_path / "empty.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)    # a header and no rows
    wb.save(path)
    staged, rejects = stage_roster(path)
    assert staged.empty and rejects.empty
    assert list(rejects.columns) == REJECT_COLUMNS


def test_bare_year_birth_date_is_rejected_not_staged_as_1905(tmp_path):
    path = tmp_path / "year.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    values = row("郑十一", ID_A, "HL-011", **{"出生日期": "1950"})
    ws.append([values[h] or None for h in HEADER])
    wb.save(path)
    staged, rejects = stage_roster(path)
    assert staged.loc[0, "birth_date"] != dt.date(1905, 5, 3)
    assert list(rejects["column"]) == ["出生日期"]
