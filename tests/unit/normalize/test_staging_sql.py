"""The staging SQL itself (sql/normalize/, run by flows/normalize/staging.py) on literal raw
rows in an in-memory DuckDB: which rows it stages, with which values, and which it rejects
with which Chinese reason; then the same engine reading a GB18030 CSV and an xlsx as
offices send them (title rows, blank lines, IDs Excel stored as numbers)."""
from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pandas as pd
import pytest

from helpers import frame, make_id, stage_in_memory

from flows import warehouse
from flows.config import load_settings
from flows.normalize.dates import ACCEPTED_FORMS
from flows.normalize.staging import stage_all
from flows.sources.kinds import (ENUM, REJECT_COLUMNS, SOURCE_KIND_SPECS, TYPE_REJECTS, DATE, NUMBER, SEX,
                                 norm_columns, staged_columns)
from flows.warehouse import ident

SETTINGS = load_settings()
A = make_id("19500101")                      # 男, 1950-01-01
B = make_id("19491231", "122")               # 女, 1949-12-31
FULL_WIDTH_A = A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
REJECT_DATE = f"日期无法识别（该字段置空，其余信息已导入）；{ACCEPTED_FORMS}"
REJECT_NUMBER = "不是数字（该字段置空，其余信息已导入）"


def staged(rows_by_source: dict[str, list[dict]], township_label: str = "回龙镇"):
    """Literal raw rows (field -> text as read; `_row`, `_number` for an ID cell Excel stored
    as a number) as raw_<source> tables, staged by stage_all: norm_<kind> rows and rejects."""
    con = warehouse.connect(":memory:")
    try:
        sources = []
        for name, rows in rows_by_source.items():
            source = SETTINGS.sources[name]
            fields = list(source.columns)
            warehouse.run_sql(con, "sources/raw_table", fragments={
                "raw": ident(f"raw_{name}"), "columns": ", ".join(f"{ident(f)} varchar" for f in fields)})
            warehouse.insert_frame(con, f"raw_{name}", pd.DataFrame(
                [{**{f: row.get(f) for f in fields}, "_row": row["_row"], "_file": f"{name}.csv", "_sheet": "",
                  "_id_number_is_number": row.get("_number", False)} for row in rows]))
            sources.append(source)
        stage_all(con, sources, township_label)
        tables = {kind: norm_columns(kind) for kind in SOURCE_KIND_SPECS} | {"population_deaths": ["row_number"]}
        norm = {table: frame(con, f"select * from norm_{table} order by "
                                  + ("file, row_number" if "row_number" in columns else "all"))
                for table, columns in tables.items()}
        rejects = frame(con, 'select source, file, sheet, "row", "column", value, reason from _stage_rejects '
                             "order by _source_index, _order, _pos")
    finally:
        con.close()
    return norm, rejects


def rows(table: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in table[columns].itertuples(index=False)]


def death(row: int, name, id_number, death_date="2020-03-15", **fields) -> dict:
    return {"_row": row, "name": name, "id_number": id_number, "death_date": death_date, **fields}


def test_ids_as_registries_send_them():
    norm, rejects = staged({"police_deaths": [
        death(2, "张三", FULL_WIDTH_A),                            # full-width digits
        death(3, "李梅", f" {B.lower()} "),                        # lowercase x, spaces
        death(4, "王五", "5.00228E+17"),                           # Excel's scientific notation
        death(5, "赵六", A + ".0"),                                # Excel's .0 suffix
        death(6, "钱七", A, _number=True),                          # an 18-digit number cell
        death(7, "孙八", A[:15] + "000"),                           # Excel kept 15 digits: trailing 000
        death(8, "周九", A[:6] + A[8:17]),                          # 15-digit legacy ID
        death(9, "吴十", A[:17] + "9"),                             # wrong check digit
        death(10, "郑十一", "123"),
    ]})
    assert rows(norm["deaths"], ["row_number", "name", "id_number_raw", "id_number", "id_status", "id_sex",
                                 "id_birth_date"]) == [
        (2, "张三", FULL_WIDTH_A, A, "valid", "男", dt.date(1950, 1, 1)),
        (3, "李梅", f" {B.lower()} ", B, "valid", "女", dt.date(1949, 12, 31)),
        (4, "王五", "5.00228E+17", None, "corrupted", None, None),
        (5, "赵六", A + ".0", None, "corrupted", None, None),
        (6, "钱七", A, None, "corrupted", None, None),
        (7, "孙八", A[:15] + "000", None, "corrupted", None, None),
        (8, "周九", A[:6] + A[8:17], A, "valid", "男", dt.date(1950, 1, 1)),
        (9, "吴十", A[:17] + "9", None, "bad_check_digit", None, None),
        (10, "郑十一", "123", None, "bad_length", None, None),
    ]
    assert rejects.empty        # an invalid ID is a finding (INVALID_ID), not a read error


def test_dates_months_amounts_and_sex_are_parsed_or_rejected_with_the_row_kept():
    norm, rejects = staged({
        "police_deaths": [
            death(2, "张三", A, "2020年3月", sex="2"),               # month only; 2 = 女
            death(3, "李梅", B, "43900", sex="未知"),                # an Excel serial; no such sex
            death(4, "王五", A, "2020-02-30"),                       # no such day
            death(5, "赵六", A, "2019"),                             # a bare year is no date
        ],
        "roster": [
            {"_row": 2, "village": "天竺村", "household_id": "H1", "name": "张三", "id_number": A,
             "monthly_amount": "1,200元", "household_size": "二", "enrolled_month": "2018年13月"},
        ]})
    assert rows(norm["deaths"], ["row_number", "sex", "death_date", "death_date_precision"]) == [
        (2, "女", dt.date(2020, 3, 1), "month"), (3, None, dt.date(2020, 3, 10), "day"),
        (4, None, None, None), (5, None, None, None)]
    assert rows(norm["roster"], ["row_number", "monthly_amount", "household_size", "enrolled_month",
                                 "township"]) == [(2, 1200.0, None, None, "回龙镇")]   # 乡镇 from the config
    assert list(rejects.columns) == REJECT_COLUMNS
    assert rows(rejects, REJECT_COLUMNS) == [
        ("police_deaths", "police_deaths.csv", "", 3, "性别", "未知", "性别应为 男 或 女（该字段置空）"),
        ("police_deaths", "police_deaths.csv", "", 4, "死亡日期", "2020-02-30", REJECT_DATE),
        ("police_deaths", "police_deaths.csv", "", 5, "死亡日期", "2019", REJECT_DATE),
        ("roster", "roster.csv", "", 2, "保障人数", "二", REJECT_NUMBER),
        ("roster", "roster.csv", "", 2, "纳入年月", "2018年13月",
         "年月无法识别（该字段置空，其余信息已导入）；接受的写法：2020-05、2020年5月、202005"),
    ]


def test_rows_that_cannot_be_reconciled_are_rejected_whole_once():
    norm, rejects = staged({
        "roster": [
            {"_row": 2, "village": "天竺村", "household_id": "H1", "name": "张三", "id_number": A, "monthly_amount": "400"},
            {"_row": 3, "village": "天竺村", "household_id": "H2", "name": None, "id_number": B, "monthly_amount": "x"},
            {"_row": 4, "village": "天竺村", "household_id": None, "name": "李梅", "id_number": B, "monthly_amount": "400"},
            {"_row": 5, "village": None, "household_id": "H3", "name": "王五", "id_number": A, "monthly_amount": "400"},
            {"_row": 6, "village": "　", "household_id": "H4", "name": "赵 六", "id_number": A, "monthly_amount": "400"},
        ],
        "population": [
            {"_row": 2, "name": "张三", "id_number": A, "status": "死亡"},
            {"_row": 3, "name": "李梅", "id_number": B, "status": "去世"},     # not a status: NULL, row kept
        ],
        "poverty": [
            {"_row": 2, "village": "天竺村", "name": "张三", "id_number": A, "household_type": "边缘户"},
            {"_row": 3, "village": "天竺村", "name": "李梅", "id_number": B, "household_type": "低保户"},
            {"_row": 4, "village": "天竺村", "name": "王五", "id_number": A, "household_type": None},
        ]})
    assert rows(norm["roster"], ["row_number", "name"]) == [(2, "张三")]
    assert rows(norm["population"], ["name", "status"]) == [("张三", "死亡"), ("李梅", None)]
    assert rows(norm["population_deaths"], ["row_number", "status"]) == [(2, "死亡")]   # death rows whole
    assert rows(norm["poverty"], ["row_number", "household_type", "township"]) == [(2, "边缘户", "回龙镇")]
    assert rows(rejects, ["source", "row", "column", "value", "reason"]) == [
        ("roster", 3, "姓名", None, "姓名为空，整行未导入"),        # reported once, not once per bad field
        ("roster", 4, "户编号", None, "户编号为空，整行未导入"),
        ("roster", 5, "村（社区）", None, "村（社区）为空，整行未导入"),
        ("roster", 6, "村（社区）", "　", "村（社区）为空，整行未导入"),   # only a full-width space
        ("population", 3, "人员状态", "去世", "人员状态应为 正常、死亡 或 迁出（该字段置空）"),
        ("poverty", 3, "户类型", "低保户", "户类型应为 未脱贫建档立卡、边缘户 或 脱贫监测户，整行未导入"),
        ("poverty", 4, "户类型", None, "户类型应为 未脱贫建档立卡、边缘户 或 脱贫监测户，整行未导入"),
    ]


def test_a_gb18030_csv_with_title_rows_and_an_xlsx_with_number_ids(tmp_path):
    deaths = SETTINGS.sources["police_deaths"]
    header = list(deaths.columns.values())
    path = tmp_path / "公安死亡.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["公安死亡注销人员（填报单位：回龙派出所）"], ["填报时间：2020年5月31日"], header,
                          ["欧阳·娜娜", A, "女", "", "2020/3/5"], [], ["  ", B, "", "", "2020-03-06"],
                          ["李梅", B, "女", "", "不详"]])
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")       # otherwise this test would prove nothing
    roster = SETTINGS.sources["roster"]
    book = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["回龙镇低保名册"])
    ws.append(list(roster.columns.values()))
    values = {"村（社区）": "天竺村", "户编号": "H1", "姓名": "张三", "身份证号码": int(A), "个人月保障金额（元）": 400}
    ws.append([values.get(h) for h in roster.columns.values()])
    wb.save(book)

    norm, rejects, read = stage_in_memory({"police_deaths": [path], "roster": [book]})
    assert [(f["encoding"], f["layouts"][0]["header_row"], f["rows_read"]) for f in read] == [
        ("gb18030", 3, 3), (None, 2, 1)]
    assert rows(norm["deaths"], ["row_number", "name", "id_number", "death_date"]) == [
        (4, "欧阳·娜娜", A, dt.date(2020, 3, 5)), (7, "李梅", B, None)]       # row numbers count the blank line
    assert rows(norm["roster"], ["row_number", "name", "id_number_raw", "id_status", "monthly_amount"]) == [
        (3, "张三", "500228195001011328", "corrupted", 400.0)]   # a number cell: its last digits are lost
    assert rows(rejects, ["file", "row", "column", "value", "reason"]) == [
        ("公安死亡.csv", 6, "姓名", None, "姓名为空，整行未导入"),
        ("公安死亡.csv", 7, "死亡日期", "不详", REJECT_DATE),
    ]


def test_every_kind_declares_its_checks_on_its_own_fields():
    """What staging reads from flows/sources/kinds.py holds together."""
    for kind, spec in SOURCE_KIND_SPECS.items():
        names = set(spec.field_names) | {"name", "id_number"}
        assert set(spec.required) <= names, kind
        assert {check.field for check in spec.checks} <= names, kind
        assert all(f.values for f in spec.fields if f.type == ENUM), kind
        assert len(staged_columns(kind)) == len(set(staged_columns(kind))), kind
        assert set(spec.narrow_columns) <= set(staged_columns(kind)), kind
        assert spec.deaths_when is None or spec.deaths_when[0] in spec.narrow_columns, kind
    assert set(TYPE_REJECTS) == {DATE, "month", NUMBER, SEX}


def test_the_nfkc_probe_gate_passes_every_character_the_probe_must_see():
    """nfkc_odd is asked first (one regexp for almost every value): for every code point, a
    value it lets through holds no character nfkc_unsafe or nfkc_wide would find."""
    con = warehouse.connect(":memory:")
    try:
        warehouse.run_sql(con, "normalize/macros")
        chars = [chr(c) for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
        con.register("_chars", pd.DataFrame({"c": chars}))
        [(missed, odd, checked)] = con.execute(
            "select count(*) filter (where not nfkc_odd(c) and (nfkc_unsafe(c) or nfkc_wide(c))), "
            "count(*) filter (where nfkc_odd(c)), count(*) from _chars").fetchall()
    finally:
        con.close()
    assert checked == len(chars) and missed == 0
    assert odd == checked - (0x7E - 0x20 + 1 + 3 + 3 + 2 + 1 + 3 + 11 + (0x4DBF - 0x3400 + 1) + (0x9FFF - 0x4E00 + 1))


def test_the_sql_check_character_is_gb_11643s_for_every_digit_in_every_place():
    """id_check (17 digits as one number, its digits by arithmetic) against ids.check_digit:
    each place holding each digit, leading zeros, and random IDs."""
    import random

    from flows.normalize.ids import check_digit

    rng = random.Random(11643)
    prefixes = ["0" * 17, "9" * 17, "1" * 17, "00000000000000001"]
    prefixes += ["".join(str(d) if k == place else "0" for k in range(17)) for place in range(17) for d in range(10)]
    prefixes += ["".join(rng.choice("0123456789") for _ in range(17)) for _ in range(20000)]
    con = warehouse.connect(":memory:")
    try:
        warehouse.run_sql(con, "normalize/macros")
        con.register("_ids", pd.DataFrame({"s": [p + "X" for p in prefixes]}))
        found = [r[0] for r in con.execute("select id_check(s) from _ids").fetchall()]
    finally:
        con.close()
    assert found == [check_digit(p) for p in prefixes]
