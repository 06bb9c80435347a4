"""The city scale's own parts, on small inputs: its geography, the fast roster writer
(the same sheet as xlsxwriter's), and the cross-district look-alike labels.  A whole city
(1M roster members) is a benchmark: benchmarks/stages.py --scale city."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd

from flows.generate import writers
from flows.generate.city_world import cross_district_lookalikes
from flows.generate.render import ROSTER_COLUMNS
from flows.generate.world import build_world, district_part
from flows.normalize.ids import region_codes


def test_city_geography():
    city = build_world("city")
    assert len(city.districts) == 38 and len(city.townships) == 380
    assert 7_500 <= sum(len(t.villages) for t in city.townships) <= 8_500
    assert len({t.name for t in city.townships}) == 380
    assert len({t.abbr for t in city.townships}) == 380
    known = region_codes()
    for district in city.districts:
        assert {district.code, district.earlier_code} <= known, district.name
        assert all(code in known for code, _ in district.sichuan_codes)
    part = district_part(city, "梁平区")
    assert part.districts == city.districts  # records held elsewhere can name any district
    assert {t.district for t in part.townships} == {"梁平区"} and len(part.townships) == 10
    # the township and district scales keep their geography
    assert [t.name for t in build_world("district").townships][:2] == ["回龙镇", "礼让镇"]


def _roster_frame() -> pd.DataFrame:
    rows = []
    kinds = [("text", None), ("excel_date", dt.date(1950, 3, 4)), ("excel_serial", 22098), ("text", None)]
    for i, (kind, value) in enumerate(kinds):
        row = {c: f"{c}{i}" for c in ROSTER_COLUMNS}
        row.update({"保障人数": 2, "个人月保障金额（元）": "三百" if i == 3 else 380 + i, "渐退起始年月": "",
                    "姓名": "A&B<c>" if i == 1 else f"张{i}", "出生日期": "1950-03-04" if kind == "text" else "x",
                    "身份证号码": 500228199001011000.0 if i == 2 else "50022819900101123X"})
        row.update({"_id_number": i == 2, "_head_id_number": False, "_birth_kind": kind, "_birth_value": value})
        rows.append(row)
    return pd.DataFrame(rows)


def test_fast_roster_writer_writes_the_sheet_xlsxwriter_writes(tmp_path):
    frame = _roster_frame()
    slow, fast = tmp_path / "slow.xlsx", tmp_path / "fast.xlsx"
    writers.write_roster_xlsx(slow, frame, "回龙镇", "梁平区", dt.date(2020, 5, 28))
    writers.write_roster_xlsx_fast(fast, frame, "回龙镇", "梁平区", dt.date(2020, 5, 28))
    for engine in ("calamine", "openpyxl"):
        a = pd.read_excel(slow, engine=engine, header=None, dtype=object)
        b = pd.read_excel(fast, engine=engine, header=None, dtype=object)
        pd.testing.assert_frame_equal(a, b)
    a, b = openpyxl.load_workbook(slow).active, openpyxl.load_workbook(fast).active
    assert a.title == b.title and list(map(str, a.merged_cells.ranges)) == list(map(str, b.merged_cells.ranges))
    for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
        for x, y in zip(row_a, row_b):
            seen = [(c.value, c.data_type, getattr(c, "is_date", None), getattr(c, "number_format", None),
                     c.font.b) for c in (x, y)]
            assert seen[0] == seen[1], x.coordinate
    assert b["H7"].value == 500228199001011000.0 and b["J6"].is_date and b["J7"].value == 22098


def test_cross_district_lookalikes_label_the_other_districts_member_only():
    birth = pd.Timestamp("1940-01-01")
    records = [pd.DataFrame({"birth": [birth], "sur_key": ["wang"], "giv_key": ["jian guo"], "part": [0]})]
    roster = pd.DataFrame({
        "township": ["甲镇", "乙镇", "乙镇", "乙镇", "丙镇"], "village": ["一村", "二村", "二村", "二村", "三村"],
        "household_id": ["A-1", "B-1", "B-2", "B-3", "C-1"],
        "name": ["王建国", "王建果", "李建国", "王小明", "汪建国"], "id_number": ["", "x", "y", "z", "w"],
        "sur_key": ["wang", "wang", "li", "wang", "wang"],
        "giv_key": ["jian guo", "jian guo", "jian guo", "xiao ming", "jian guo"],
        "birth": [birth, birth, birth, birth, pd.Timestamp("1941-01-01")], "part": [0, 1, 1, 1, 2]})
    labels = cross_district_lookalikes(records, [roster])
    # same district (part 0) is namesakes.py's business; another birth date is no look-alike
    assert sorted(labels["household_id"]) == ["B-1", "B-2"]
    assert set(labels["rule"]) == {"HARD_NEGATIVE"}
    fault = dict(zip(labels["household_id"], labels["fault"]))
    assert "same name sound" in fault["B-1"] and "similar name" in fault["B-2"]
