"""The set-wise engine (CSV straight into DuckDB, normalisation in SQL) stages exactly what
the Python reference (readers + stage_source, row by row) stages: every stg_* and norm_*
table and every reject, on a generated township and on a file of nasty cases."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, make_id, member

from flows import pipeline, warehouse
from flows.config import REQUIRED_FIELDS, SOURCE_KINDS, load_settings
from flows.generate import generate
from flows.sources.readers import read_source_file
from flows.sources.stage import REJECT_COLUMNS, empty_staged, raw_table, stage_source, staged_arrow

pytestmark = pytest.mark.slow
MONTH = "2020-05"
TABLES = ("norm_roster", "norm_deaths", "norm_population", "norm_poverty", "norm_assistance",
          "stg_roster", "stg_population", "stg_death_evidence", "stg_households", "stg_poverty", "stg_subjects")


def reference_stage(db_path: Path, plan: pipeline.RunPlan, settings) -> pd.DataFrame:
    """The engine before issue 9: every file read cell by cell, staged row by row in pandas."""
    by_kind = {kind: [] for kind in SOURCE_KINDS}
    rejects = []
    for name, files in plan.inputs.items():
        source = settings.sources[name]
        read = [read_source_file(p, source.columns, REQUIRED_FIELDS[source.kind]) for p in files]
        staged, rejected = stage_source(source, raw_table(read), township_label=settings.township_label)
        by_kind[source.kind].append(staged)
        rejects.append(rejected)
    con = warehouse.connect(db_path)
    try:
        for kind, frames in by_kind.items():
            frames = [f for f in frames if not f.empty] or [empty_staged(kind)]
            con.register("_staged", staged_arrow(pd.concat(frames, ignore_index=True)))
            con.execute(f"create or replace table norm_{kind} as select * from _staged")
            con.unregister("_staged")
        for sql in pipeline.STAGING_SQL:
            warehouse.run_sql(con, sql)
    finally:
        con.close()
    out = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
    return out.astype({"row": "int64"}) if not out.empty else out


def engine_stage(db_path: Path, plan: pipeline.RunPlan, settings) -> pd.DataFrame:
    pipeline.load_sources(db_path, plan, settings)
    pipeline.normalise(db_path, plan, settings)
    con = warehouse.connect(db_path)
    try:
        return con.execute("select source, file, sheet, \"row\", \"column\", value, reason from rejects "
                           "where month = ?", [plan.month]).df()
    finally:
        con.close()


def table_rows(db_path: Path, table: str) -> list[tuple]:
    con = warehouse.connect(db_path)
    try:
        return con.execute(f"select * from {table} order by all").fetchall()
    finally:
        con.close()


def table_types(db_path: Path, table: str) -> list[tuple]:
    con = warehouse.connect(db_path)
    try:
        return [(r[0], r[1]) for r in con.execute(f"describe {table}").fetchall()]
    finally:
        con.close()


def assert_same(tmp: Path, plan: pipeline.RunPlan, settings) -> None:
    old_db, new_db = tmp / "reference.duckdb", tmp / "engine.duckdb"
    old_rejects = reference_stage(old_db, plan, settings)
    new_rejects = engine_stage(new_db, plan, settings)
    for table in TABLES:
        assert table_types(new_db, table) == table_types(old_db, table), table
        old, new = table_rows(old_db, table), table_rows(new_db, table)
        assert len(new) == len(old), table
        assert new == old, (table, [r for r in new if r not in set(old)][:3])
    old = [tuple(r) for r in old_rejects[REJECT_COLUMNS].astype(object).itertuples(index=False)]
    new = [tuple(r) for r in new_rejects[REJECT_COLUMNS].astype(object).itertuples(index=False)]
    assert new == old   # same rejects, in the same order


def test_a_generated_township_stages_identically(tmp_path):
    raw = tmp_path / "raw"
    generate("township", 7, MONTH, raw)
    settings = load_settings()
    overrides = {"roster": [str(raw / "roster")], "police_deaths": [str(raw / "deaths")],
                 "population": [str(raw / "population")], "cremation": [str(raw / "cremation")],
                 "poverty": [str(raw / "poverty")], "assistance": [str(raw / "assistance")]}
    plan = pipeline.plan_run(settings, MONTH, overrides=overrides, out_dir=tmp_path / "out",
                             db_path=tmp_path / "unused.duckdb")
    assert_same(tmp_path, plan, settings)


A = make_id("19500101")               # 男
B = make_id("19491231", "122")        # 女
C = make_id("19620704", "241", "510228")   # a pre-1997 四川 code of today's 重庆


def nasty_roster(path: Path) -> Path:
    """An xlsx roster as offices send it: a title row, IDs typed as numbers, 15-digit IDs,
    full-width digits, names with spaces, middle dots, traditional characters, pinyin."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    ws.append(["回龙镇低保名册（2020年5月）"])
    ws.append(ROSTER_HEADER)
    rows = [
        member("张 三", A), member("李梅", B, household="HL-002", birth="1949/12/31"),
        member("王五", int(A), household="HL-003"),                              # ID typed as a number
        member("赵六", "５００２２８１９５００１０１１２３７", household="HL-004"),    # full-width digits
        member("孙八", A[:6] + A[8:17], household="HL-005", birth="1950年1月"),   # 15 digits, month only
        member("阿依·古丽", B.lower(), household="HL-006", amount="四百"),
        member("劉德華", C, household="HL-007", birth="19620704", sex="1"),
        member("袁文zhe", "5.00228E+17", household="HL-008"),
        member("欧阳\u3000娜娜", A.replace("1237", "1238"), household="HL-009", exit_month="2019年3月"),
        member("", A, household="HL-010"),                                       # no name
        member("钱七", A, household="", sex="未知"),                               # no household
        member("周 • 九", " " + A + " ", household="HL-011", village=""),           # no village
        member("吴十", "110101999001011234", household="HL-012", birth="不详"),    # bad birth date in ID
        member("郑十一", "99010119500101123X", household="HL-013", amount="1,200元"),
        member("冯十二", "50022819500101", household="HL-014", size="二"),
    ]
    for number, values in enumerate(rows):
        ws.append([values[h] for h in ROSTER_HEADER])
        if number == 4:
            ws.append([None] * len(ROSTER_HEADER))                                 # a blank row
    ws.append(["　", None, "  "])                                                   # blank but for spaces
    wb.save(path)
    return path


def nasty_population(path: Path) -> Path:
    """GB18030 CSV with a title row and a blank line, dates in every form SPEC §3 lists."""
    def person(name, id_number, status="正常", change="", birth=""):
        return [name, id_number, "", birth, "重庆市梁平区　回龙镇", "H1", "户主", status, change]

    rows = [["全员人口信息（导出时间：2020-05-31）"], [], POPULATION_HEADER,
            person("张三", A, birth="1950-01-01"), person("李梅", B, "死亡", "2020年3月", "1949.12.31"),
            [], person("王五", A, "死亡", "202003", "43000"), person("赵六", C, "迁出", "2020/2/30"),
            person("孫八", A[:6] + A[8:17], "去世", "2020-04-05 08:30"), person("", B),
            person("阿依•古丽", B, "死亡", "2019", "1949年12月31日"),
            person("刘 德华", "51022819620704241" + "x", "死亡", "20200431"),
            ["钱七", A], ["  ", "  ", ""]]
    with path.open("w", encoding="gb18030", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def nasty_deaths(path: Path) -> Path:
    """UTF-8 with BOM, tab-separated, quoted cells with commas and line breaks, ragged rows."""
    rows = [DEATHS_HEADER,
            ["张三", A, "男", "1950-01-01", "2020-03-15", "2020-03-20", "死亡", "重庆市,梁平区", "回龙派出所"],
            ["李梅", B.lower(), "女", "", "2020年3月", "", "死亡", "多\n行地址", "", "extra", "cells"],
            ["王五", "500228195001011237.0", "", "", "2020.3.1", "不详"],
            ["\t赵六\u3000", C, "1", "1962-07-04", "2020-02-29", "2020-03-01", "", "", ""]]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(rows)
    return path


def test_nasty_files_stage_identically(tmp_path):
    roster = nasty_roster(tmp_path / "名册.xlsx")
    population = nasty_population(tmp_path / "人口.csv")
    deaths = nasty_deaths(tmp_path / "死亡.csv")
    settings = load_settings()
    plan = pipeline.plan_run(settings, MONTH, overrides={"roster": [str(roster)], "police_deaths": [str(deaths)],
                                                         "population": [str(population)]},
                             out_dir=tmp_path / "out", db_path=tmp_path / "unused.duckdb")
    for name in ("cremation", "poverty", "assistance"):
        plan.inputs[name] = []
    assert_same(tmp_path, plan, settings)
    # The cases really are in there: the comparison is not between two empty tables.
    rows = table_rows(tmp_path / "engine.duckdb", "norm_population")
    assert len(rows) == 8
    rejects = engine_stage(tmp_path / "again.duckdb", plan, settings)
    assert {"姓名为空，整行未导入", "户编号为空，整行未导入", "村（社区）为空，整行未导入"} <= set(rejects["reason"])
    assert dt.date(2020, 3, 1) in {r for row in rows for r in row}
