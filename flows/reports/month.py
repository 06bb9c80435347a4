"""The report step: every file of the month's out folder, from the run's warehouse copy.

exceptions.csv/.parquet, rejects.csv and run.json (SPEC §5) are written here; the
workbooks by their own modules.  The run is recorded in the warehouse (runs,
run_inputs) in the same step, so a run that fails before this point leaves no record.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from flows import health, warehouse
from flows.cases.recovery import balances
from flows.config import Settings, package_version
from flows.matching.model import pattern_answers_record
from flows.reports import papers, parallel
from flows.reports.ledgers import start_poverty_ledgers
from flows.reports.protection import protect_village_files
from flows.reports.summary import write_township_summary
from flows.reports.excel_style import file_name_notes
from flows.reports.workbooks import start_village_workbooks, village_file_parts
from flows.rules import EXCEPTION_COLUMNS, rule_params

if TYPE_CHECKING:
    from flows.pipeline import RunPlan


def write_all(work_db: Path, out_dir: Path, plan: RunPlan, settings: Settings, facts: dict) -> dict:
    """Reads the cases as the follow-up step left them (escalation has raised severities)."""
    params = rule_params(plan.month, settings, plan.run_id)
    con = warehouse.connect(work_db)
    try:
        villages = warehouse.query_sql(con, "reports/villages")
        # A city's workers start up now, while the queries below run (parallel.py).
        with parallel.report_pool(len(villages)):
            exceptions = write_machine_outputs(con, plan, out_dir)
            exceptions = exceptions.astype(object).where(exceptions.notna(), None)
            exceptions["escalation"] = exceptions["case_id"].map(papers.escalation_notes(con, plan.month))
            owed = balances(con, plan.month)   # a case with a recovery entry gets 已追回金额 columns
            exceptions["recovery_balance"] = exceptions["case_id"].map(dict(zip(owed["case_id"], owed["balance"])))
            remarks = papers.pending_remark_notes(con, plan.month)   # a 备注 without 核实结果 is shown again
            exceptions["previous_result"] = [
                previous if previous is not None else remarks.get(case_id)
                for previous, case_id in zip(exceptions["previous_result"], exceptions["case_id"])]
            for folder in ("villages", "summary", "ledgers"):      # a retried attempt starts clean
                shutil.rmtree(out_dir / folder, ignore_errors=True)
            today = facts.get("today") or dt.date.today()   # the date the follow-up step issued notices on
            # A case the village found 不属实 is not sent again until its evidence changes.
            to_verify = exceptions[exceptions["case_status"] != "false_positive"]
            # A city's village workbooks and ledgers go to the workers now and are written while
            # this process writes the summaries and office lists (parallel.start_batches).
            village_files = start_village_workbooks(
                to_verify, out_dir / "villages", plan.month, mask_ids=settings.mask_ids, villages=villages,
                no_exception_sheet=settings.no_exception_sheet, reporting_unit=settings.reporting_unit,
                filled_on=today)
            ledger = warehouse.query_sql(con, "reports/poverty_ledger", params)
            ledger_files = start_poverty_ledgers(
                ledger.astype(object).where(ledger.notna(), None), out_dir / "ledgers", plan.month,
                filled_on=today, mask_ids=settings.mask_ids) if len(ledger) else parallel.Pending([])
            warnings = facts["source_health"]["warnings"] + health.check_death_rates(con, plan.month)
            stats = warehouse.query_sql(con, "reports/township_summary", params)
            recovery = papers.recovery_remarks(con, plan.month)       # 附件4 备注 states the 追缴 totals
            stats["remark"] = [recovery.get(t) for t in stats["township"]]
            summary_files = write_township_summary(
                stats, warehouse.query_sql(con, "reports/village_rule_counts", params),
                out_dir / "summary", plan.month, filled_on=today, warnings=warnings,
                reporting_unit=settings.reporting_unit)
            follow_up_files = papers.write_follow_up_files(con, out_dir, plan.month, settings, today=today)
            follow_up_files.pop("paths")   # inside the staging folder; the console lists the swapped-in one
            renamed = file_name_notes(village_file_parts(
                to_verify, villages if settings.no_exception_sheet else None))   # said on the console and in run.json
            village_files, ledger_files = village_files.result(), ledger_files.result()
            if settings.protect_workbooks:
                protect_village_files(con, out_dir, plan.month)
            record = write_run_record(
                con, plan, out_dir, started_at=facts["started_at"], lineage=facts["lineage"],
                rejects_by_file=facts["rejects_by_file"], counts=facts["counts"], settings=settings,
                extra={"outputs": {"villages": len(village_files), "summaries": len(summary_files),
                                   "ledgers": len(ledger_files), **follow_up_files},
                       "source_health": facts["source_health"]["sources"], "warnings": warnings + renamed,
                       # what the villages' answers say about each evidence pattern of DECEASED_SUSPECT
                       "suspect_answers": pattern_answers_record(con, plan.month)})
    finally:
        con.close()
    return record


def month_exceptions(con, month: str) -> pd.DataFrame:
    """This month's exceptions in SPEC order, with each case's status and the village's
    latest 核实结果 on it up to this month."""
    return warehouse.query_sql(con, "reports/sheet_exceptions", {"month": month})


def write_machine_outputs(con, plan: RunPlan, out_dir: Path) -> pd.DataFrame:
    """exceptions.csv / .parquet and rejects.csv."""
    exceptions = month_exceptions(con, plan.month)
    table = exceptions[EXCEPTION_COLUMNS].copy()
    # A death known only to the month shows as 2019-10 (its detail says the day is unknown).
    month_only = exceptions["death_date_precision"].eq("month").to_numpy()
    table["death_date"] = pd.to_datetime(table["death_date"]).dt.strftime("%Y-%m-%d")
    table.loc[month_only, "death_date"] = table.loc[month_only, "death_date"].str[:7]
    table["months_overpaid"] = table["months_overpaid"].astype("Int64")
    table["amount_overpaid"] = table["amount_overpaid"].astype(float).round(2)
    table.to_csv(out_dir / "exceptions.csv", index=False, encoding="utf-8")
    table.to_parquet(out_dir / "exceptions.parquet", index=False)
    rejects = warehouse.query_sql(con, "reports/month_rejects", {"month": plan.month})
    rejects.to_csv(out_dir / "rejects.csv", index=False, encoding="utf-8")
    return exceptions


def _suspect_matching(con) -> dict:
    """The threshold DECEASED_SUSPECT used and the chance suspicions expected at it."""
    frame = warehouse.query_sql(con, "reports/suspect_match_summary")
    if not len(frame):
        return {}
    record = {k: (v.item() if hasattr(v, "item") else v) for k, v in frame.iloc[0].items()}
    if isinstance(record.get("model"), str):       # which m were used and why (flows/matching/model.py)
        record["model"] = json.loads(record["model"])
    return record


def write_run_record(con, plan: RunPlan, out_dir: Path, *, started_at: dt.datetime, lineage: list[dict],
                     rejects_by_file: dict[str, int], counts: dict[str, int], settings: Settings,
                     extra: dict | None = None) -> dict:
    """run.json in the out folder and the runs / run_inputs rows of the warehouse."""
    finished_at = dt.datetime.now()
    for item in lineage:
        item["rows_rejected"] = int(rejects_by_file.get(item["file"], 0))
    record = {
        "run_id": plan.run_id,
        "month": plan.month,
        "started": started_at.isoformat(timespec="seconds"),
        "finished": finished_at.isoformat(timespec="seconds"),
        "package_version": package_version(),
        "config": str(settings.config_path),
        "config_sha256": settings.config_sha256,
        "inputs": lineage,
        "rows_rejected": int(sum(rejects_by_file.values())),
        "counts": counts,
        "suspect_matching": _suspect_matching(con),
        **(extra or {}),
    }
    (out_dir / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    warehouse.run_sql(con, "reports/record_run", {
        "run_id": plan.run_id, "month": plan.month, "started_at": started_at, "finished_at": finished_at,
        "package_version": record["package_version"], "config_sha256": settings.config_sha256,
        "rows_rejected": record["rows_rejected"], "counts_json": json.dumps(counts)})
    if lineage:
        inputs = pd.DataFrame(lineage)
        inputs.insert(0, "month", plan.month)
        inputs.insert(0, "run_id", plan.run_id)
        warehouse.insert_frame(con, "run_inputs", inputs)
    return record
