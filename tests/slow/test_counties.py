"""The cross-county pieces on small literal worlds: the city config, the key, the two
cross-county rules in SQL, and the roll-up's missing counties."""
from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from openpyxl import load_workbook

from flows import warehouse
from flows.config import ConfigError
from flows.counties import central_check as check
from flows.counties import county as county_steps
from flows.counties.city_config import load_city
from flows.counties.hashing import CityKeyError, city_key, id_hash

ID_A = "500228198704010832"
ID_B = "500228194905077939"


def write_city(tmp, counties=("a", "b", "c")):
    lines = ["[city]", 'name = "示例市"', f'warehouse = "{tmp / "city.duckdb"}"',
             f'out_dir = "{tmp / "city" / "{month}"}"', f'exchange_dir = "{tmp / "exchange" / "{month}"}"']
    for key, name in zip(counties, ("甲县", "乙县", "丙县")):
        lines += [f"[counties.{key}]", f'name = "{name}"', f'warehouse = "{tmp / key / "w.duckdb"}"',
                  f'out_dir = "{tmp / key / "out" / "{month}"}"', f"[counties.{key}.sources]",
                  f'roster = ["{tmp / key / "raw" / "{month}" / "roster"}"]']
    path = tmp / "city.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return load_city(path)


def test_city_config_resolves_month_paths(tmp_path):
    city = write_city(tmp_path)
    assert list(city.counties) == ["a", "b", "c"]
    assert city.counties["b"].inputs("2020-05") == {"roster": [str(tmp_path / "b" / "raw" / "2020-05" / "roster")]}
    assert city.exchange_dir("2020-05") == tmp_path / "exchange" / "2020-05"


def test_city_config_without_counties_is_refused(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text("[city]\nname = \"x\"\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="没有声明任何区县"):
        load_city(path)


def test_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("DIBAO_CITY_KEY", raising=False)
    monkeypatch.delenv("DIBAO_CITY_KEY_FILE", raising=False)
    key_file = tmp_path / "city.key"
    key_file.write_text("0123456789abcdef0123\n", encoding="utf-8")
    os.chmod(key_file, 0o644)
    with pytest.raises(CityKeyError, match="chmod 600"):
        city_key(key_file)
    os.chmod(key_file, 0o600)
    assert city_key(key_file) == b"0123456789abcdef0123"
    with pytest.raises(CityKeyError, match="没有市级密钥"):
        city_key(None)


def test_hash_depends_on_the_key():
    assert id_hash(b"k" * 16, ID_A) == id_hash(b"k" * 16, ID_A)
    assert id_hash(b"k" * 16, ID_A) != id_hash(b"j" * 16, ID_A)
    assert ID_A not in id_hash(b"k" * 16, ID_A)


def exchange(city, key, roster, deaths, run_id="r1"):
    """A county's exchange files from literal (ref, id) and (source, id, date) rows."""
    folder = county_steps.county_exchange(city, city.counties[key], "2020-05")
    folder.mkdir(parents=True, exist_ok=True)
    secret = b"test-key-0123456789"
    pd.DataFrame({"county": key, "run_id": run_id, "ref": [r for r, _ in roster],
                  "id_hash": [id_hash(secret, i) for _, i in roster]}).astype({"ref": "int64"}).to_parquet(
        folder / county_steps.ROSTER_KEYS)
    pd.DataFrame({"county": key, "source": [s for s, _, _ in deaths],
                  "id_hash": [id_hash(secret, i) for _, i, _ in deaths],
                  "death_date": [d for _, _, d in deaths]}).to_parquet(folder / county_steps.DEATH_KEYS)
    (folder / county_steps.META).write_text('{"run_id": "%s"}' % run_id, encoding="utf-8")


def test_cross_county_rules(tmp_path):
    city = write_city(tmp_path)
    march, june = dt.date(2020, 3, 15), dt.date(2020, 6, 2)
    exchange(city, "a", [(1, ID_A), (2, ID_B)], [])
    exchange(city, "b", [(7, ID_A)], [("公安", ID_B, march)])
    exchange(city, "c", [(3, "500228193803128999")], [("火化", ID_B, march), ("公安", ID_A, june)])
    counts = check.cross_county_check(city, "2020-05", ["a", "b", "c"])
    assert counts == {"a": 2, "b": 1, "c": 0}
    findings = {k: pd.read_parquet(county_steps.county_exchange(city, city.counties[k], "2020-05")
                                   / county_steps.FINDINGS) for k in ("a", "b")}
    a = findings["a"].set_index("rule")
    assert a.loc["DUPLICATE_BENEFIT", "ref"] == 1 and a.loc["DUPLICATE_BENEFIT", "other_counties"] == "乙县"
    # ID_B died in 乙县 (公安) and 丙县 (火化); ID_A's June death is after the month
    assert a.loc["DECEASED_PAID", "ref"] == 2 and a.loc["DECEASED_PAID", "other_counties"] == "丙县、乙县"
    assert a.loc["DECEASED_PAID", "sources"] == "公安、火化"
    assert findings["b"]["rule"].tolist() == ["DUPLICATE_BENEFIT"] and findings["b"]["ref"].tolist() == [7]
    con = warehouse.connect(city.warehouse, read_only=True)
    try:
        stored = " ".join(str(v) for row in con.execute("select * from city_roster_keys").fetchall() for v in row)
    finally:
        con.close()
    assert ID_A not in stored and ID_B not in stored


def test_rollup_names_missing_counties(tmp_path):
    city = write_city(tmp_path)
    exchange(city, "a", [(1, ID_A)], [])
    row = {"township": "回龙镇", "households": 10, "persons": 20, "poverty_households": None, "adjust_amount": 400.0,
           "include_households": 0, "complete_info": 2, "overpaid_total": 800.0, "remark": None}
    folder = county_steps.county_exchange(city, city.counties["a"], "2020-05")
    pd.DataFrame([{"county": "a", **row}, {"county": "a", **row, "township": "福禄镇"}]).to_parquet(
        folder / county_steps.TOWNSHIPS)
    check.record_failure(city, "b", "2020-05", "文件 broken.xlsx 无法作为 Excel 工作簿打开")
    result = check.write_rollups(city, "2020-05", tmp_path / "summary", filled_on=dt.date(2020, 6, 1))
    assert [m["county"] for m in result["missing"]] == ["b", "c"]
    county_sheet = load_workbook(tmp_path / "summary" / "甲县_城乡低保摸排处理汇总表_2020-05.xlsx").active
    rows = {r[0]: r[1:3] for r in county_sheet.iter_rows(min_row=5, values_only=True) if r[0]}
    assert rows["回龙镇"] == (10, 20) and rows["合计"] == (20, 40)
    assert county_sheet.cell(3, 1).value == "乡镇（街道）"
    city_sheet = load_workbook(result["city_summary"]).active
    assert city_sheet.cell(3, 1).value == "区县"
    rows = {r[0]: r for r in city_sheet.iter_rows(min_row=5, values_only=True) if r[0]}
    assert rows["甲县"][1:3] == (20, 40) and rows["合计"][1:3] == (20, 40)
    assert "缺报" in rows["乙县"][7] and "broken.xlsx" in rows["乙县"][7]
    text = " ".join(str(c) for r in city_sheet.iter_rows(values_only=True) for c in r if c)
    assert "缺报区县：乙县（文件 broken.xlsx" in text and "丙县（本月尚未完成比对）" in text
