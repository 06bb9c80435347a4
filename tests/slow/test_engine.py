"""The one engine (files straight into DuckDB, normalisation in SQL) on a generated township
and on files of nasty cases: what it stages and rejects, and that the in-memory path
(`dibao check`, the county generator, the fast tests: flows.normalize.staging.stage_files)
stages exactly what a run's load and normalise steps stage.

The nasty files' expectations were those of the row-by-row reference engine this test
compared with until issue 27 deleted it (flows/sources/stage.py): the same rows, values
and rejects, in the same order."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, frame, make_id, member, stage_in_memory

from flows import pipeline, warehouse
from flows.config import folder_overrides, load_settings
from flows.generate import generate
from flows.sources.kinds import REJECT_COLUMNS, SOURCE_KINDS, column_type, norm_columns, staged_columns
from flows.normalize.dates import ACCEPTED_FORMS

MONTH = "2020-05"
NORM_TABLES = (*SOURCE_KINDS, "population_deaths")   # the population's death rows are kept whole apart
REJECT_DATE = f"日期无法识别（该字段置空，其余信息已导入）；{ACCEPTED_FORMS}"


def run_stage(db_path: Path, plan: pipeline.RunPlan, settings):
    """A run's load and normalise steps on a warehouse file: norm_<kind> rows and types, rejects."""
    with warehouse.run_connection(db_path):   # norm_<kind> is a temporary table of the run's connection
        pipeline.load_sources(db_path, plan, settings)
        pipeline.normalise(db_path, plan, settings)
        con = warehouse.connect(db_path)
        staged = {table: frame(con, f"select * from norm_{table} order by all") for table in NORM_TABLES}
        types = {table: [tuple(r[:2]) for r in con.execute(f"describe norm_{table}").fetchall()] for table in NORM_TABLES}
        rejects = frame(con, 'select source, file, sheet, "row", "column", value, reason from rejects '
                             "where month = ? order by rowid", [plan.month])
    return staged, types, rejects


def rows(table) -> list[tuple]:
    return [tuple(r) for r in table.itertuples(index=False)]


def assert_run_and_memory_agree(tmp: Path, plan: pipeline.RunPlan, settings):
    staged, types, rejects = run_stage(tmp / "engine.duckdb", plan, settings)
    in_memory, memory_rejects, _ = stage_in_memory({name: files for name, files in plan.inputs.items()})
    for kind in SOURCE_KINDS:
        # norm_<kind> has the columns and types its declaration gives (flows/sources/kinds.py)
        assert types[kind] == [(c, column_type(kind, c).upper()) for c in norm_columns(kind)], kind
        assert rows(in_memory[kind]) == rows(staged[kind]), kind
    assert types["population_deaths"] == [(c, column_type("population", c).upper())
                                          for c in staged_columns("population")]
    assert rows(in_memory["population_deaths"]) == rows(staged["population_deaths"])
    assert list(rejects.columns) == REJECT_COLUMNS
    assert rows(memory_rejects) == rows(rejects)   # same rejects, in the same order
    return staged, rejects


def test_a_generated_township_stages_the_same_in_memory_as_in_a_run(tmp_path):
    raw = tmp_path / "raw"
    generate("township", 7, MONTH, raw)
    settings = load_settings()
    overrides = folder_overrides(raw)
    plan = pipeline.plan_run(settings, MONTH, overrides=overrides, out_dir=tmp_path / "out",
                             db_path=tmp_path / "unused.duckdb")
    staged, _ = assert_run_and_memory_agree(tmp_path, plan, settings)
    # not a comparison of empty tables: every generated source has staged rows
    assert all(len(staged[settings.sources[name].kind]) for name in overrides)


def test_after_the_source_check_only_the_population_stays_staged(tmp_path):
    """Source health is the last reader of the norm_* tables but the population's: the others
    are dropped before matching (their memory goes to it); stg_population, a view the rules
    read, keeps norm_population."""
    raw = tmp_path / "raw"
    generate("township", 7, MONTH, raw)
    settings = load_settings()
    plan = pipeline.plan_run(settings, MONTH, overrides=folder_overrides(raw), out_dir=tmp_path / "out",
                             db_path=tmp_path / "engine.duckdb")

    def staged_tables(con) -> set[str]:
        return {t for t, in con.execute("select table_name from duckdb_tables() "
                                        "where temporary and starts_with(table_name, 'norm_')").fetchall()}

    with warehouse.run_connection(plan.db_path):
        pipeline.load_sources(plan.db_path, plan, settings)
        pipeline.normalise(plan.db_path, plan, settings)
        con = warehouse.connect(plan.db_path)
        before = staged_tables(con)
        pipeline.check_sources(plan.db_path, plan, settings)
        after = staged_tables(con)
        registered = con.execute("select count(*) from stg_population").fetchone()[0]
    assert {"norm_roster", "norm_deaths", "norm_population", "norm_population_deaths"} <= before
    assert after == {"norm_population"}
    assert registered > 0


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


def test_nasty_files_stage_exactly_these_rows_and_rejects(tmp_path):
    roster = nasty_roster(tmp_path / "名册.xlsx")
    population = nasty_population(tmp_path / "人口.csv")
    deaths = nasty_deaths(tmp_path / "死亡.csv")
    settings = load_settings()
    plan = pipeline.plan_run(settings, MONTH, overrides={"roster": [str(roster)], "police_deaths": [str(deaths)],
                                                         "population": [str(population)]},
                             out_dir=tmp_path / "out", db_path=tmp_path / "unused.duckdb")
    for name in ("cremation", "poverty", "assistance"):
        plan.inputs[name] = []
    staged, rejects = assert_run_and_memory_agree(tmp_path, plan, settings)

    roster_columns = ["row_number", "name_raw", "name", "id_number_raw", "id_number", "id_status", "household_id",
                      "birth_date", "birth_date_precision", "household_size", "monthly_amount", "gradual_exit_month"]
    assert rows(staged["roster"][roster_columns]) == [
        (3, "张 三", "张三", A, A, "valid", "HL-001", dt.date(1950, 1, 1), "day", 1.0, 400.0, None),
        (4, "李梅", "李梅", B, B, "valid", "HL-002", dt.date(1949, 12, 31), "day", 1.0, 400.0, None),
        (5, "王五", "王五", "500228195001011328", None, "corrupted", "HL-003", dt.date(1950, 1, 1), "day", 1.0, 400.0,
         None),                                                    # an ID Excel stored as a number
        (6, "赵六", "赵六", "５００２２８１９５００１０１１２３７", A, "valid", "HL-004", dt.date(1950, 1, 1), "day", 1.0,
         400.0, None),
        (7, "孙八", "孙八", A[:6] + A[8:17], A, "valid", "HL-005", dt.date(1950, 1, 1), "month", 1.0, 400.0, None),
        (9, "阿依·古丽", "阿依·古丽", B, B, "valid", "HL-006", dt.date(1949, 12, 31), "day", 1.0, None, None),
        (10, "劉德華", "劉德華", C, C, "valid", "HL-007", dt.date(1962, 7, 4), "day", 1.0, 400.0, None),
        (11, "袁文zhe", "袁文zhe", "5.00228E+17", None, "corrupted", "HL-008", None, None, 1.0, 400.0, None),
        (12, "欧阳\u3000娜娜", "欧阳娜娜", A.replace("1237", "1238"), None, "bad_check_digit", "HL-009", None, None, 1.0,
         400.0, dt.date(2019, 3, 1)),
        (16, "吴十", "吴十", "110101999001011234", None, "bad_birth_date", "HL-012", None, None, 1.0, 400.0, None),
        (17, "郑十一", "郑十一", "99010119500101123X", None, "unknown_region", "HL-013", None, None, 1.0, 1200.0, None),
        (18, "冯十二", "冯十二", "50022819500101", None, "bad_length", "HL-014", None, None, None, 400.0, None),
    ]
    assert set(staged["roster"]["township"]) == {"回龙镇"} and set(staged["roster"]["id_sex"]) >= {"男", "女"}
    deaths_columns = ["row_number", "name", "id_number_raw", "id_number", "id_status", "sex", "death_date",
                      "death_date_precision", "deregistration_date"]
    assert rows(staged["deaths"][deaths_columns]) == [
        (2, "张三", A, A, "valid", "男", dt.date(2020, 3, 15), "day", dt.date(2020, 3, 20)),
        (3, "李梅", B.lower(), B, "valid", "女", dt.date(2020, 3, 1), "month", None),
        (4, "王五", "500228195001011237.0", None, "corrupted", None, dt.date(2020, 3, 1), "day", None),
        (5, "赵六", C, C, "valid", "男", dt.date(2020, 2, 29), "day", dt.date(2020, 3, 1)),
    ]
    population_columns = ["row_number", "name_raw", "name", "id_number", "id_status", "birth_date", "status",
                          "change_date", "change_date_precision"]
    # Every population row keeps what the rules read of it; its death rows are kept whole.
    assert list(staged["population"].columns) == norm_columns("population")
    assert sorted(rows(staged["population"][["name", "id_number", "status", "change_date"]]), key=str) == sorted([
        ("张三", A, "正常", None),
        ("李梅", B, "死亡", dt.date(2020, 3, 1)),
        ("王五", A, "死亡", dt.date(2020, 3, 1)),
        ("赵六", C, "迁出", None),
        ("孫八", A, None, dt.date(2020, 4, 5)),
        ("阿依·古丽", B, "死亡", None),
        ("刘德华", None, "死亡", None),
        ("钱七", A, None, None),
    ], key=str)
    assert list(staged["population_deaths"].columns) == staged_columns("population")
    assert rows(staged["population_deaths"].sort_values("row_number")[population_columns]) == [
        (5, "李梅", "李梅", B, "valid", dt.date(1949, 12, 31), "死亡", dt.date(2020, 3, 1), "month"),
        (7, "王五", "王五", A, "valid", dt.date(2017, 9, 22), "死亡", dt.date(2020, 3, 1), "month"),   # Excel serial 43000
        (11, "阿依•古丽", "阿依·古丽", B, "valid", dt.date(1949, 12, 31), "死亡", None, None),
        (12, "刘 德华", "刘德华", None, "bad_check_digit", None, "死亡", None, None),
    ]
    assert rows(rejects) == [
        ("roster", "名册.xlsx", "名册", 13, "姓名", None, "姓名为空，整行未导入"),
        ("roster", "名册.xlsx", "名册", 14, "性别", "未知", "性别应为 男 或 女（该字段置空）"),
        ("roster", "名册.xlsx", "名册", 16, "出生日期", "不详", REJECT_DATE),
        ("roster", "名册.xlsx", "名册", 18, "保障人数", "二", "不是数字（该字段置空，其余信息已导入）"),
        ("roster", "名册.xlsx", "名册", 9, "个人月保障金额（元）", "四百", "不是数字（该字段置空，其余信息已导入）"),
        ("roster", "名册.xlsx", "名册", 14, "户编号", None, "户编号为空，整行未导入"),
        ("roster", "名册.xlsx", "名册", 15, "村（社区）", None, "村（社区）为空，整行未导入"),
        ("police_deaths", "死亡.csv", "", 4, "注销日期", "不详", REJECT_DATE),
        ("population", "人口.csv", "", 10, "姓名", None, "姓名为空，整行未导入"),
        ("population", "人口.csv", "", 8, "变动日期", "2020/2/30", REJECT_DATE),
        ("population", "人口.csv", "", 11, "变动日期", "2019", REJECT_DATE),
        ("population", "人口.csv", "", 12, "变动日期", "20200431", REJECT_DATE),
        ("population", "人口.csv", "", 9, "人员状态", "去世", "人员状态应为 正常、死亡 或 迁出（该字段置空）"),
    ]
    # The cases really are in there: the comparison is not between two empty tables.
    assert len(staged["population"]) == 8
    assert {"姓名为空，整行未导入", "户编号为空，整行未导入", "村（社区）为空，整行未导入"} <= set(rejects["reason"])
    assert dt.date(2020, 3, 1) in set(staged["population"]["change_date"])
