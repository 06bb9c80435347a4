"""The city's side: cross-county checks over the counties' hashes, and the roll-ups.

Everything here reads the month's exchange folder and the city warehouse; neither holds
a name or an ID number, only keyed hashes, county keys and case references.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.counties import county as county_steps
from flows.counties.city_config import CityConfig
from flows.normalize.dates import month_bounds
from flows.reports.excel_style import month_label, safe_file_part
from flows.reports.summary import ANNEX_SHEET, ANNEX_TITLE, write_annex_sheet
from flows.reports.xlsx_writer import Book

CITY_TABLES = ("counties/city_roster_keys", "counties/city_death_keys", "counties/city_findings")


def completed_counties(city: CityConfig, month: str) -> list[str]:
    """County keys whose keys for `month` are in the exchange folder (and not failed since)."""
    done = []
    for key, county in city.counties.items():
        folder = county_steps.county_exchange(city, county, month)
        if (folder / county_steps.META).is_file() and not (folder / county_steps.FAILED).is_file():
            done.append(key)
    return done


def record_failure(city: CityConfig, key: str, month: str, reason: str) -> None:
    """A failed county's earlier keys are stale: remove them and say why it is missing."""
    folder = county_steps.county_exchange(city, city.counties[key], month)
    folder.mkdir(parents=True, exist_ok=True)
    for name in county_steps.CROSS_COUNTY_FILES:
        (folder / name).unlink(missing_ok=True)
    (folder / county_steps.FAILED).write_text(json.dumps({"county": key, "reason": reason}, ensure_ascii=False),
                                              encoding="utf-8")


def failure_reason(city: CityConfig, key: str, month: str) -> str | None:
    path = county_steps.county_exchange(city, city.counties[key], month) / county_steps.FAILED
    return json.loads(path.read_text(encoding="utf-8"))["reason"] if path.is_file() else None


def cross_county_check(city: CityConfig, month: str, keys: list[str]) -> dict[str, int]:
    """Load the completed counties' hashes into the city warehouse, run the cross-county
    rules, write each county's findings.parquet; returns findings per county key."""
    _, month_end = month_bounds(month)
    params = {"month": month, "month_end": month_end}
    folders = {k: county_steps.county_exchange(city, city.counties[k], month) for k in keys}
    city.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with warehouse.run_lock(city.warehouse):
        con = warehouse.connect(city.warehouse)
        try:
            for name in CITY_TABLES:
                warehouse.run_sql(con, name)
            warehouse.replace_table(con, "city_counties", pd.DataFrame(
                {"county": list(city.counties), "county_name": [c.name for c in city.counties.values()]}))
            con.execute("begin transaction")
            for table in ("city_roster_keys", "city_death_keys", "city_findings"):
                warehouse.run_sql(con, "counties/delete_month", {"month": month},
                                  fragments={"table": warehouse.ident(table)})
            for table, file in (("city_roster_keys", county_steps.ROSTER_KEYS),
                                ("city_death_keys", county_steps.DEATH_KEYS)):
                if folders:    # every county's file in one read (one pandas frame each cost 139 ms a county)
                    warehouse.run_sql(con, "counties/load_keys",
                                      {"files": [str(folder / file) for folder in folders.values()], "month": month},
                                      fragments={"table": warehouse.ident(table)})
            for rule in ("counties/cross_duplicate_benefit", "counties/cross_deceased_paid"):
                warehouse.run_sql(con, rule, params, prefix="insert into city_findings by name ")
            con.execute("commit")
            findings = warehouse.query_sql(con, "counties/month_findings", {"month": month})
        finally:
            con.close()
    return write_county_findings(findings, folders)


def write_county_findings(findings: pd.DataFrame, folders: dict[str, Path]) -> dict[str, int]:
    """Each county's findings.parquet (empty when it has none) in its exchange folder; returns
    the findings per county key.  One pass over the findings, not one filter a county."""
    by_county = dict(tuple(findings.groupby("county", sort=False)))
    counts = {}
    for key, folder in folders.items():
        mine = by_county.get(key, findings.iloc[0:0]).drop(columns=["month", "county"])
        mine.to_parquet(folder / county_steps.FINDINGS, index=False)
        counts[key] = len(mine)
    return counts


# ---------------------------------------------------------------- roll-ups

def write_rollups(city: CityConfig, month: str, summary_dir: Path, *, filled_on: dt.date) -> dict:
    """附件4 per county (a row per township and 合计) and for the city (a row per county);
    counties without numbers this month are named as missing, with the reason known."""
    summary_dir.mkdir(parents=True, exist_ok=True)
    for old in summary_dir.glob("*.xlsx"):
        old.unlink()
    city_rows, missing = [], []
    for key, county in city.counties.items():
        path = county_steps.county_exchange(city, county, month) / county_steps.TOWNSHIPS
        if not path.is_file() or key not in completed_counties(city, month):
            reason = failure_reason(city, key, month) or "本月尚未完成比对"
            missing.append({"county": key, "name": county.name, "reason": reason})
            city_rows.append({"township": county.name, "remark": f"缺报：{reason}"})
            continue
        townships = pd.read_parquet(path)
        rows = townships.drop(columns=["county"]).to_dict("records")
        _write_annex_workbook(summary_dir / f"{safe_file_part(county.name)}_{ANNEX_TITLE}_{month}.xlsx",
                              rows, f"{county.name}{month_label(month)}", filled_on, place_header="乡镇（街道）",
                              month=month, unit=county.name)
        numeric = townships.drop(columns=["county", "township", "remark"])
        totals = {c: (None if numeric[c].isna().all() else numeric[c].sum()) for c in numeric.columns}
        city_rows.append({"township": county.name, **totals, "remark": None})
    name = city.name or "全市"
    city_file = summary_dir / f"{safe_file_part(name)}_{ANNEX_TITLE}_{month}.xlsx"
    note = ("缺报区县：" + "；".join(f"{m['name']}（{m['reason']}）" for m in missing)) if missing else None
    _write_annex_workbook(city_file, city_rows, f"{name}{month_label(month)}", filled_on,
                          place_header="区县", note=note, month=month, unit=name)
    return {"city_summary": str(city_file), "missing": missing}


def _write_annex_workbook(path: Path, rows: list[dict], title: str, filled_on: dt.date, *,
                          place_header: str, month: str, unit: str, note: str | None = None) -> None:
    book = Book(title=f"{title}{ANNEX_TITLE}")
    ws = book.add_sheet(ANNEX_SHEET)
    last_row = write_annex_sheet(ws, rows, filled_on=filled_on, place_header=place_header, always_total=True,
                                 month=month, unit=unit)
    if note:
        ws.merge_text(last_row + 1, 1, 8, note)
    book.save(path)
