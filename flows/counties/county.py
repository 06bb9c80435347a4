"""The steps that run on a county's own machine, around its monthly reconciliation.

export_keys: after the county's run, its roster IDs and its police/cremation deaths
    leave the county only as keyed hashes, with the run_id and member_key (an opaque
    row number) as case reference, in the month's exchange folder.
apply_findings: the city's cross-county findings for the county are added to the
    run's rule_hits, and its exceptions, cases, workbooks and summary rewritten — on a
    copy of the warehouse and out folder, swapped in only on success.

Exchange folder of a month, per county key: roster_keys.parquet, death_keys.parquet,
meta.json (run_id), findings.parquet (written by the city), townships.parquet (the
county's 附件4 numbers, after the findings), failed.json (written by the city when
the county's run failed).  None of them holds a name or an ID number.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from flows import pipeline, warehouse
from flows.cases import findings as case_findings
from flows.config import Settings, load_settings
from flows.counties.city_config import CityConfig, CountyConfig
from flows.counties.hashing import CityKeyError, city_key, id_hash
from flows.errors import RunStepError, sanitized
from flows.rules import rule_params
from flows.sources.readers import SourceFileError

ROSTER_KEYS = "roster_keys.parquet"
DEATH_KEYS = "death_keys.parquet"
META = "meta.json"
FINDINGS = "findings.parquet"
TOWNSHIPS = "townships.parquet"
FAILED = "failed.json"
CROSS_COUNTY_FILES = (ROSTER_KEYS, DEATH_KEYS, META, FINDINGS, TOWNSHIPS, FAILED)


class CrossCountyError(RuntimeError):
    """A county cannot take part in this month's cross-county step; Chinese message."""


# Errors whose message is meant for the user (files, rows, counties; never a person).
EXPECTED_MESSAGES = pipeline.EXPECTED_ERRORS + (CrossCountyError, CityKeyError, RunStepError)


def county_exchange(city: CityConfig, county: CountyConfig, month: str) -> Path:
    return city.exchange_dir(month) / county.key


def county_settings(county: CountyConfig) -> Settings:
    return load_settings(county.config)


def run_inputs(county: CountyConfig, settings: Settings, month: str) -> dict[str, list[str]]:
    """The county's sources as the run's `inputs`: an optional source the county does
    not list is left out rather than read from the base config's folder."""
    inputs = county.inputs(month)
    unknown = sorted(set(inputs) - set(settings.sources))
    if unknown:
        raise SourceFileError(f"区县 {county.name} 的数据源 {'、'.join(unknown)} 不在其配置文件 "
                              f"{settings.config_path} 中")
    for name, source in settings.sources.items():
        if source.optional:
            inputs.setdefault(name, [])
    return inputs


@sanitized("跨区县数据导出", passthrough=pipeline.EXPECTED_ERRORS + (CrossCountyError, CityKeyError))
def export_keys(city: CityConfig, county: CountyConfig, month: str, run_id: str) -> dict[str, int]:
    """Hashes of the roster's and the deaths' IDs for the city; returns their counts."""
    key = city_key(city.key_file)
    folder = county_exchange(city, county, month)
    folder.mkdir(parents=True, exist_ok=True)
    for name in CROSS_COUNTY_FILES:            # what an earlier attempt left is stale now
        (folder / name).unlink(missing_ok=True)
    con = warehouse.connect(county.warehouse, read_only=True)
    try:
        roster = warehouse.query_sql(con, "counties/roster_ids")
        deaths = warehouse.query_sql(con, "counties/death_ids")
    finally:
        con.close()
    roster_keys = pd.DataFrame({
        "county": county.key, "run_id": run_id, "ref": roster["member_key"].astype("int64"),
        "id_hash": [id_hash(key, i) for i in roster["id_number"]]})
    death_keys = pd.DataFrame({
        "county": county.key, "source": deaths["source"].astype(str),
        "id_hash": [id_hash(key, i) for i in deaths["id_number"]],
        "death_date": pd.to_datetime(deaths["death_date"]).dt.date})
    roster_keys.to_parquet(folder / ROSTER_KEYS, index=False)
    death_keys.to_parquet(folder / DEATH_KEYS, index=False)
    (folder / META).write_text(json.dumps({"county": county.key, "run_id": run_id, "month": month}), encoding="utf-8")
    return {"roster_keys": len(roster_keys), "death_keys": len(death_keys)}


@sanitized("跨区县结果写回", passthrough=pipeline.EXPECTED_ERRORS + (CrossCountyError, CityKeyError))
def apply_findings(city: CityConfig, county: CountyConfig, month: str) -> dict[str, int]:
    """Add the city's findings to the county's month; returns the counts per rule found
    across counties.  Also writes the county's 附件4 numbers for the roll-ups."""
    folder = county_exchange(city, county, month)
    settings = county_settings(county)
    out_dir = county.out_dir(month)
    record = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    if record["run_id"] != meta["run_id"]:
        raise CrossCountyError(f"区县 {county.name} 在导出跨区县数据后又重新比对过 {month}，请重新运行该区县。")
    findings = pd.read_parquet(folder / FINDINGS)
    findings = findings[findings["run_id"] == record["run_id"]]
    plan = pipeline.RunPlan(month, record["run_id"], county.warehouse, out_dir)
    params = rule_params(month, settings, plan.run_id)
    with pipeline.exclusive_run(plan) as (work_db, work_out):
        con = warehouse.connect(work_db)
        try:
            latest = warehouse.query_sql(con, "reports/latest_run", params)
            if latest.empty or latest["run_id"].iloc[0] != plan.run_id:
                raise CrossCountyError(f"区县 {county.name} 的数据库中 {month} 最近一次比对不是导出跨区县数据的那一次，"
                                       "请重新运行该区县。")
            warehouse.run_sql(con, "counties/delete_cross_county_hits")
            con.register("cross_findings", findings[["ref", "rule", "other_counties", "sources", "death_date"]])
            warehouse.run_sql(con, "counties/cross_county_hits", params, prefix="insert into rule_hits by name ")
            con.unregister("cross_findings")
            counts = case_findings.record_findings(con, params)
            # The run's record is written again with the new counts.
            warehouse.run_sql(con, "counties/forget_run_inputs", {"run_id": plan.run_id})
            warehouse.run_sql(con, "counties/forget_run", {"run_id": plan.run_id})
            townships = warehouse.query_sql(con, "reports/township_summary", params)
        finally:
            con.close()
        facts = _run_facts(record, counts)
        pipeline.follow_up_cases(work_db, plan, settings)   # the cross-county findings escalate and act too
        new_record = pipeline.write_reports(work_db, work_out, plan, settings, facts)
        pipeline.issue_notices(work_db, month, facts.get("today") or dt.date.today())
        cross = {rule: int((findings["rule"] == rule).sum()) for rule in ("DUPLICATE_BENEFIT", "DECEASED_PAID")}
        new_record["cross_county"] = {"findings": cross, "applied_at": dt.datetime.now().isoformat(timespec="seconds")}
        (work_out / "run.json").write_text(json.dumps(new_record, ensure_ascii=False, indent=2), encoding="utf-8")
    townships.insert(0, "county", county.key)
    townships.to_parquet(folder / TOWNSHIPS, index=False)
    return cross


def _run_facts(record: dict, counts: dict[str, int]) -> dict:
    """write_all's facts from the run's own run.json; death-rate alarms are recomputed."""
    lineage = [{k: v for k, v in item.items() if k != "rows_rejected"} for item in record["inputs"]]
    rejects_by_file = {item["file"]: item.get("rows_rejected", 0) for item in record["inputs"]}
    warnings = [w for w in record.get("warnings", []) if "本月死亡疑点" not in w]
    return {"started_at": dt.datetime.fromisoformat(record["started"]), "lineage": lineage,
            "rejects_by_file": rejects_by_file, "counts": counts,
            "source_health": {"sources": record.get("source_health", []), "warnings": warnings}}
