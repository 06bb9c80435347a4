"""The monthly reconciliation as a Prefect flow: a list of task calls, nothing else.

Parameters are a month and paths; tasks exchange paths and counts.  No name or ID
number ever becomes a parameter, a log line or an exception message.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import console, keys, pipeline, retention, warehouse
from flows.config import load_settings


def only_transient(task, task_run, state) -> bool:
    """Retry a step only when its error may go away by itself (a busy or briefly unreachable
    share); a file that is missing, corrupt or in a wrong format fails at once."""
    error = state.result(raise_on_failure=False)
    return bool(getattr(error, "transient", False))


@task(name="load sources", retries=2, retry_delay_seconds=5, retry_condition_fn=only_transient,
      cache_policy=NO_CACHE)
def load_sources(work_db: Path, plan: pipeline.RunPlan, settings) -> list[dict]:
    with console.step("读取数据"):
        return pipeline.load_sources(work_db, plan, settings)


@task(name="normalise", cache_policy=NO_CACHE)
def normalise(work_db: Path, plan: pipeline.RunPlan, settings) -> dict[str, int]:
    with console.step("数据标准化"):
        return pipeline.normalise(work_db, plan, settings)


@task(name="check sources", cache_policy=NO_CACHE)
def check_sources(work_db: Path, plan: pipeline.RunPlan, settings, lineage: list[dict]) -> dict:
    with console.step("数据源检查"):
        return pipeline.check_sources(work_db, plan, settings, lineage)


@task(name="match rules", cache_policy=NO_CACHE)
def match(work_db: Path, plan: pipeline.RunPlan, settings) -> dict[str, int]:
    with console.step("规则比对"):
        return pipeline.match(work_db, plan, settings)


@task(name="follow up cases", cache_policy=NO_CACHE)
def follow_up_cases(work_db: Path, plan: pipeline.RunPlan, settings) -> None:
    with console.step("疑点跟进"):
        pipeline.follow_up_cases(work_db, plan, settings)


@task(name="write reports", retries=1, retry_delay_seconds=5, retry_condition_fn=only_transient,
      cache_policy=NO_CACHE)
def write_reports(work_db: Path, out_dir: Path, plan: pipeline.RunPlan, settings, run_facts: dict) -> dict:
    with console.step("生成报表"):
        return pipeline.write_reports(work_db, out_dir, plan, settings, run_facts)


@task(name="keep less", cache_policy=NO_CACHE)
def forget_input_rows(work_db: Path) -> int:
    return len(retention.forget_input_rows(work_db))


@flow(name="monthly-reconciliation", flow_run_name="reconcile {month}", log_prints=False)
def monthly_reconciliation(month: str, config: str | None = None, inputs: dict[str, list[str]] | None = None,
                           out: str | None = None, db: str | None = None, keep_inputs: bool = False) -> dict:
    """Reconcile the roster of `month` against every configured registry.  `keep_inputs`
    keeps the month's staged rows for a step that follows (a county's cross-county apply
    step, which forgets them itself)."""
    logger = get_run_logger()
    started_at = dt.datetime.now()
    settings = load_settings(Path(config) if config else None)
    keys.use_key_of(settings)
    warehouse.use_engine(settings)
    plan = pipeline.plan_run(settings, month, overrides=inputs,
                             out_dir=Path(out) if out else None, db_path=Path(db) if db else None)
    # Keep less rewrites the file at the end, compressed: until then its tables need not be.
    with pipeline.exclusive_run(plan, compressed=keep_inputs) as (work_db, work_out):
        lineage = load_sources(work_db, plan, settings)
        rejects_by_file = normalise(work_db, plan, settings)
        source_health = check_sources(work_db, plan, settings, lineage)
        counts = match(work_db, plan, settings)
        follow_up_cases(work_db, plan, settings)
        record = write_reports(work_db, work_out, plan, settings, {
            "started_at": started_at, "today": started_at.date(), "lineage": lineage,
            "rejects_by_file": rejects_by_file, "counts": counts, "source_health": source_health,
        })
        pipeline.record_papers(work_db, plan, work_out, lineage, started_at.date())
        if not keep_inputs:
            forget_input_rows(work_db)
    logger.info("month %s reconciled: %d files, %d exceptions, %d rejected values, %d warnings",
                month, len(lineage), sum(counts.values()), record["rows_rejected"], len(record["warnings"]))
    return {**record, "out_dir": str(plan.out_dir), "db": str(plan.db_path)}
