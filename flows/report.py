"""The report step: every file of the month's out folder, from the run's warehouse copy."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from flows import followup, health, pipeline, warehouse
from flows.config import Settings
from flows.errors import sanitized
from flows.recovery import balances
from flows.reports.ledgers import write_poverty_ledgers
from flows.reports.summary import write_township_summary
from flows.reports.workbooks import write_village_workbooks


@sanitized("生成报表", passthrough=pipeline.EXPECTED_ERRORS)
def write_all(work_db: Path, out_dir: Path, plan: pipeline.RunPlan, settings: Settings, facts: dict) -> dict:
    params = pipeline.rule_params(plan.month, settings, plan.run_id)
    con = warehouse.connect(work_db)
    try:
        followup.follow_up_month(con, plan.month, settings)   # escalation raises severity: before the CSV
        exceptions = pipeline.write_machine_outputs(con, plan, out_dir)
        exceptions = exceptions.astype(object).where(exceptions.notna(), None)
        exceptions["escalation"] = exceptions["case_id"].map(followup.escalation_notes(con, plan.month))
        owed = balances(con, plan.month)   # a case with a recovery entry gets 已追回金额 columns
        exceptions["recovery_balance"] = exceptions["case_id"].map(dict(zip(owed["case_id"], owed["balance"])))
        remarks = followup.pending_remark_notes(con, plan.month)   # a 备注 without 核实结果 is shown again
        exceptions["previous_result"] = [previous if previous is not None else remarks.get(case_id)
                                         for previous, case_id in zip(exceptions["previous_result"], exceptions["case_id"])]
        for folder in ("villages", "summary", "ledgers"):      # a retried attempt starts clean
            shutil.rmtree(out_dir / folder, ignore_errors=True)
        villages = con.execute("select distinct township, village from stg_roster order by 1, 2").df()
        today = dt.date.today()
        # A case the village found 不属实 is not sent again until its evidence changes.
        to_verify = exceptions[exceptions["case_status"] != "false_positive"]
        village_files = write_village_workbooks(
            to_verify, out_dir / "villages", plan.month, mask_ids=settings.mask_ids, villages=villages,
            no_exception_sheet=settings.no_exception_sheet, reporting_unit=settings.reporting_unit,
            filled_on=today)
        ledger = warehouse.query_sql(con, "reports/poverty_ledger", params)
        ledger_files = write_poverty_ledgers(
            ledger.astype(object).where(ledger.notna(), None), out_dir / "ledgers", plan.month,
            filled_on=today, mask_ids=settings.mask_ids) if len(ledger) else []
        warnings = facts["source_health"]["warnings"] + health.check_death_rates(con, plan.month)
        stats = warehouse.query_sql(con, "reports/township_summary", params)
        recovery = followup.recovery_remarks(con, plan.month)       # 附件4 备注 states the 追缴 totals
        stats["remark"] = [recovery.get(t) for t in stats["township"]]
        summary_files = write_township_summary(
            stats,
            warehouse.query_sql(con, "reports/village_rule_counts", params),
            out_dir / "summary", plan.month, filled_on=today, warnings=warnings)
        follow_up_files = followup.write_follow_up_files(con, out_dir, plan.month, settings)
        record = pipeline.write_run_record(
            con, plan, out_dir, started_at=facts["started_at"], lineage=facts["lineage"],
            rejects_by_file=facts["rejects_by_file"], counts=facts["counts"], settings=settings,
            extra={"outputs": {"villages": len(village_files), "summaries": len(summary_files),
                               "ledgers": len(ledger_files), **follow_up_files},
                   "source_health": facts["source_health"]["sources"], "warnings": warnings})
    finally:
        con.close()
    return record
