"""Small, readable worlds for rule tests: a few roster rows, deaths and population rows,
written as real files and run through the real load → normalise → match steps."""
from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from flows import pipeline, warehouse
from flows.reports.month import month_exceptions
from flows.config import folder_overrides, load_settings, source_folders
from flows.normalize.ids import check_digit

ROSTER_HEADER = ["区县", "乡镇（街道）", "村（社区）", "户编号", "户主姓名", "户主身份证号", "姓名", "身份证号码",
                 "性别", "出生日期", "与户主关系", "救助类型", "保障人数", "个人月保障金额（元）", "纳入年月",
                 "渐退起始年月", "健康状况", "联系电话"]
DEATHS_HEADER = ["姓名", "公民身份号码", "性别", "出生日期", "死亡日期", "注销日期", "注销原因", "户籍地址", "派出所"]
POPULATION_HEADER = ["姓名", "身份证号", "性别", "出生日期", "户籍地址", "户号", "与户主关系", "人员状态", "变动日期"]


def make_id(birth: str, seq: str = "123", region: str = "500228") -> str:
    """A valid 18-digit ID: birth 'YYYYMMDD', seq three digits (odd last digit = 男)."""
    first17 = region + birth + seq
    return first17 + check_digit(first17)


def member(name, id_number, *, household="HL-001", village="天竺村", relation="户主", sex=None, birth=None,
           size=1, amount=400, benefit="农村低保", exit_month="", head=None):
    from flows.normalize.ids import normalize_id

    parsed = normalize_id(id_number)
    return {
        "区县": "梁平区", "乡镇（街道）": "回龙镇", "村（社区）": village, "户编号": household,
        "户主姓名": head or name, "户主身份证号": id_number, "姓名": name, "身份证号码": id_number,
        "性别": sex or (parsed.sex or "男"),
        "出生日期": birth or (parsed.birth_date.isoformat() if parsed.birth_date else ""),
        "与户主关系": relation, "救助类型": benefit, "保障人数": size, "个人月保障金额（元）": amount,
        "纳入年月": "2018-01", "渐退起始年月": exit_month, "健康状况": "健康", "联系电话": "13800000000",
    }


def person(name, id_number, *, status="正常", change_date="", sex=None, birth=None):
    from flows.normalize.ids import normalize_id

    parsed = normalize_id(id_number)
    return {"姓名": name, "身份证号": id_number, "性别": sex or parsed.sex or "",
            "出生日期": birth or (parsed.birth_date.isoformat() if parsed.birth_date else ""),
            "户籍地址": "重庆市梁平区回龙镇", "户号": "H1", "与户主关系": "户主", "人员状态": status,
            "变动日期": change_date}


def death(name, id_number, death_date, *, birth=None, sex=None):
    from flows.normalize.ids import normalize_id

    parsed = normalize_id(id_number)
    return {"姓名": name, "公民身份号码": id_number, "性别": sex or parsed.sex or "",
            "出生日期": birth or (parsed.birth_date.isoformat() if parsed.birth_date else ""),
            "死亡日期": death_date, "注销日期": death_date, "注销原因": "死亡",
            "户籍地址": "重庆市梁平区", "派出所": "回龙派出所"}


def write_csv(path: Path, header: list[str], rows: list[dict], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def frame(con, query: str, params=None) -> pd.DataFrame:
    """A query's rows as Python values (dates as datetime.date, NULL as None)."""
    cursor = con.execute(query, params or [])
    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description], dtype=object)


def stage_in_memory(inputs: dict[str, list[Path]], township_label: str | None = None):
    """Read and stage files as a run does (flows.normalize.staging.stage_files) in an
    in-memory DuckDB: {kind: norm_<kind> rows}, the rejects in the order a run lists them,
    and what was read per file."""
    from flows.normalize.staging import stage_files
    from flows.sources.kinds import SOURCE_KIND_SPECS, norm_tables

    settings = load_settings()
    con = warehouse.connect(":memory:")
    try:
        read = stage_files(con, [(settings.sources[name], files) for name, files in inputs.items()],
                           settings.township_label if township_label is None else township_label)
        staged = {table.removeprefix("norm_"): frame(con, f"select * from {table} order by all")
                  for kind in SOURCE_KIND_SPECS for table in norm_tables(kind)}
        rejects = frame(con, 'select source, file, sheet, "row", "column", value, reason from _stage_rejects '
                             "order by _source_index, _order, _pos")
    finally:
        con.close()
    return staged, rejects, read


# The police export arrives in GB18030, so the rule tests read one such file every time.
CSV_ENCODINGS = {"police_deaths": "gb18030"}


def run_rules(tmp: Path, roster: list[dict], deaths: list[dict], population: list[dict],
              month: str = "2020-05", cremation: list[dict] | None = None,
              poverty: list[dict] | None = None, assistance: list[dict] | None = None,
              before_match: Callable[[pipeline.RunPlan], None] | None = None) -> pd.DataFrame:
    """Write the files, run load → normalise → match on a fresh warehouse, return exceptions.
    `before_match(plan)` runs between normalise and match, where a run checks its sources."""
    settings = load_settings()
    rows = {"roster": roster, "police_deaths": deaths, "population": population, "cremation": cremation,
            "poverty": poverty, "assistance": assistance}
    folders = source_folders()
    files = {}
    for name, source in settings.sources.items():   # a required source is written even without rows
        if rows.get(name) or not source.optional:
            files[name] = [write_csv(tmp / f"{folders[name]}.csv", list(source.columns.values()), rows.get(name) or [],
                                     CSV_ENCODINGS.get(name, "utf-8"))]
        else:
            files[name] = []
    plan = pipeline.RunPlan(month, f"test-{month}", tmp / "warehouse.duckdb", tmp / "out", files)
    db = plan.db_path
    with warehouse.run_connection(db):   # the steps' temporary raw_* and norm_* tables
        pipeline.load_sources(db, plan, settings)
        pipeline.normalise(db, plan, settings)
        if before_match is not None:
            before_match(plan)
        pipeline.match(db, plan, settings)
    con = warehouse.connect(db)
    try:
        return month_exceptions(con, month)
    finally:
        con.close()


ASSISTANCE_HEADER = ["乡镇", "村（社区）", "姓名", "身份证号码", "救助类型", "发放日期"]
POVERTY_HEADER = ["乡镇", "所属村组", "姓名", "身份证号码", "家庭人数", "与户主关系", "健康状况", "致贫原因",
                  "家庭人均月纯收入（元）", "户类型", "联系电话"]


def poor(name, id_number, *, village="天竺村", kind="未脱贫建档立卡", health="健康", income=800, relation="户主"):
    return {"乡镇": "回龙镇", "所属村组": village, "姓名": name, "身份证号码": id_number, "家庭人数": 1,
            "与户主关系": relation, "健康状况": health, "致贫原因": "因病", "家庭人均月纯收入（元）": income,
            "户类型": kind, "联系电话": "13900000000"}


def run_generated(raw: Path, tmp: Path, month: str = "2020-05") -> Path:
    """The flow's steps, called directly (no Prefect), on generated inputs; returns the out folder."""
    settings = load_settings()
    overrides = folder_overrides(raw)
    plan = pipeline.plan_run(settings, month, overrides=overrides, out_dir=tmp / "out", db_path=tmp / "w.duckdb")
    out = tmp / "out"
    out.mkdir()
    pipeline.run_month_steps(plan.db_path, out, plan, settings)
    return out


# `dibao` with a pause after one step, for the tests that kill or interrupt a real run.
FAULT_RUNNER = Path(__file__).with_name("fault_runner.py")
