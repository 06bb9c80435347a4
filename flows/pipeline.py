"""The steps of a monthly reconciliation as plain functions.

flows/reconcile.py wraps each in a Prefect task; tests call them directly.  Steps pass
paths, months and counts between them, never rows of people: the rows live in the
run's working copy of the warehouse.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flows import faults, generations, health, retention, warehouse
from flows.cases import audit, findings, follow_up
from flows.errors import sanitized
from flows.config import PROJECT_ROOT, ConfigError, Settings
from flows.matching.deceased import score_candidates
from flows.matching.model import ModelChoice, load_for_run
from flows.normalize import staging
from flows.normalize.dates import month_bounds
from flows.rules import RULES, register_catalogue, rule_params
from flows.reports import month as month_reports
from flows.reports import papers
from flows.sources import ingest
from flows.sources.kinds import REQUIRED_FIELDS, SOURCE_KIND_SPECS, norm_tables
from flows.sources.readers import SourceFileError, probe_source_file


@dataclass
class RunPlan:
    """What one run will read and where it will write; paths only."""

    month: str
    run_id: str
    db_path: Path
    out_dir: Path
    inputs: dict[str, list[Path]] = field(default_factory=dict)  # source name -> files
    backups_dir: Path | None = None     # where replaced warehouses are kept (None: not kept)
    backups_keep: int = 0


def expand_paths(patterns: list[str | Path], base: Path) -> list[Path]:
    """Files, globs or folders -> the files they name, sorted, without lock files of Excel."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        path = path if path.is_absolute() else base / path
        if path.is_dir():
            candidates = [p for p in path.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".csv")]
        elif any(ch in str(path) for ch in "*?["):
            candidates = [Path(p) for p in glob.glob(str(path))]
        else:
            candidates = [path]
        found.extend(p for p in candidates if not p.name.startswith("~$"))
    return sorted(dict.fromkeys(found))


def plan_run(settings: Settings, month: str, *, overrides: dict[str, list[str]] | None = None,
             out_dir: Path | None = None, db_path: Path | None = None, probe: bool = False) -> RunPlan:
    """Resolve the files of every source.  `overrides` maps a source name to paths given
    on the command line (relative to the working directory).  With `probe`, the start of
    every file is read to stop at once on one that cannot be read at all."""
    month_bounds(month)  # validates the month
    overrides = overrides or {}
    inputs: dict[str, list[Path]] = {}
    for name, source in settings.sources.items():
        if name in overrides:
            files = expand_paths(overrides[name], Path.cwd())
        else:
            files = expand_paths([p.format(month=month) for p in source.paths], PROJECT_ROOT)
        if not files and not source.optional:
            where = "、".join(overrides.get(name, [p.format(month=month) for p in source.paths]))
            raise SourceFileError(f"数据源「{source.label}」({name}) 没有找到任何文件：{where}。请检查路径或配置文件。")
        missing = [p for p in files if not p.is_file()]
        if missing:
            raise SourceFileError(f"找不到文件：{missing[0]}")
        if probe:
            for path in files:
                probe_source_file(path, source.columns, REQUIRED_FIELDS[source.kind])
        inputs[name] = files
    run_id = f"{month}-{dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    db = Path(db_path or settings.warehouse)
    return RunPlan(month, run_id, db, Path(out_dir or settings.out_dir(month)), inputs,
                   backups_dir=settings.backups_dir or generations.default_folder(db),
                   backups_keep=settings.backups_keep)


@contextlib.contextmanager
def exclusive_run(plan: RunPlan, *, compressed: bool = True):
    """Lock the warehouse, work on copies, and swap them in only if the body succeeds.

    Before anything is copied: the live warehouse must open, and the disks must have room
    for the copies.  The body's steps share one connection to the working copy
    (warehouse.run_connection, `compressed` as there), closed before the copy is swapped in.  A machine fault
    (disk full, no permission, read-only) anywhere in the run becomes a RunFault naming the path."""
    def keep_previous():
        if plan.backups_dir is not None:
            generations.keep(plan.db_path, plan.backups_dir, plan.backups_keep)

    with faults.run_locations(warehouse=plan.db_path.parent, out=plan.out_dir.parent):
        try:
            with warehouse.run_lock(plan.db_path):
                warehouse.clear_stale_copies(plan.db_path)
                # Folders left by a killed run are garbage; we hold the lock, so nobody uses them.
                for stale in plan.out_dir.parent.glob(f".{plan.out_dir.name}.*-*"):
                    shutil.rmtree(stale, ignore_errors=True)
                generations.check_opens(plan.db_path)
                faults.check_space(plan.db_path, plan.out_dir, [f for fs in plan.inputs.values() for f in fs])
                staging_out = plan.out_dir.with_name(f".{plan.out_dir.name}.run-{os.getpid()}")
                try:
                    staging_out.mkdir(parents=True, mode=0o700)
                    with warehouse.working_copy(plan.db_path, before_swap=keep_previous) as work_db:
                        with warehouse.run_connection(work_db, compressed=compressed):
                            yield work_db, staging_out
                        owner_only(work_db)
                    owner_only(staging_out)
                    swap_folder(staging_out, plan.out_dir)
                finally:
                    shutil.rmtree(staging_out, ignore_errors=True)
        except OSError as exc:
            fault = faults.explain(exc)
            if fault is None:
                raise
            raise fault from None


def owner_only(path: Path) -> None:
    """Files 600 and folders 700, whatever the umask of the process that made them."""
    if not path.exists():
        return
    if path.is_dir():
        for child in path.rglob("*"):
            os.chmod(child, 0o700 if child.is_dir() else 0o600)
        os.chmod(path, 0o700)
    else:
        os.chmod(path, 0o600)


def swap_folder(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- load

EXPECTED_ERRORS = (SourceFileError, warehouse.SqlError, warehouse.WarehouseBusyError, ConfigError, faults.RunFault)


@sanitized("读取数据", passthrough=EXPECTED_ERRORS)
def load_sources(db_path: Path, plan: RunPlan, settings: Settings) -> list[dict]:
    """Read every input file into raw_<source> tables, temporary tables of the run's
    connection (warehouse.run_connection: normalise reads them there); returns one lineage
    record per file.  CSV goes through DuckDB's reader (a GB18030 file via a UTF-8 scratch
    copy beside the working warehouse, deleted after), xlsx through python-calamine as Arrow tables."""
    lineage = []
    con = warehouse.connect(db_path)
    try:
        warehouse.ensure_schema(con)
        retention.forget_stored_inputs(con)
        for name, files in plan.inputs.items():
            source = settings.sources[name]
            read = ingest.load_source(con, name, files, source.columns, REQUIRED_FIELDS[source.kind],
                                      scratch=Path(db_path))
            for file in read:
                lineage.append({
                    "source": name, "kind": source.kind, "file": file["path"].name, "path": str(file["path"]),
                    "sha256": file["sha256"], "encoding": file["encoding"], "sheets": file["sheets"],
                    "rows_read": file["rows_read"],
                })
    finally:
        con.close()
    return lineage


# ---------------------------------------------------------------- normalise

# Staging models in dependency order (norm_<kind> tables → stg_* tables the rules read).
STAGING_SQL = ("staging/stg_roster", "staging/stg_population", "staging/stg_death_evidence",
               "staging/stg_households", "staging/stg_poverty", "staging/stg_subjects")

# The norm_* tables nothing reads after the source health check: all but norm_population,
# which the view stg_population puts before the rules.
NORM_TABLES_DONE_AFTER_CHECK = tuple(table for kind in SOURCE_KIND_SPECS for table in norm_tables(kind)
                                     if table != "norm_population")


@sanitized("数据标准化", passthrough=EXPECTED_ERRORS)
def normalise(db_path: Path, plan: RunPlan, settings: Settings) -> dict[str, int]:
    """raw_<source> -> norm_<kind> -> stg_* tables, and rejects.  Returns rejects per file.
    Set-wise in DuckDB (flows/normalize/staging.py); Python sees distinct values only.
    raw_* and norm_* (and the view stg_population) are temporary: on the run's connection,
    after load_sources; the stg_* tables and rejects are written into the warehouse."""
    con = warehouse.connect(db_path)
    try:
        sources = [settings.sources[name] for name in plan.inputs]
        staging.stage_all(con, sources, settings.township_label)
        for kind in (k for k, spec in SOURCE_KIND_SPECS.items() if spec.never_empty):
            if not warehouse.row_count(con, f"norm_{kind}"):
                names = "、".join(p.name for n in plan.inputs if settings.sources[n].kind == kind for p in plan.inputs[n])
                raise SourceFileError(f"{names} 中没有任何可用的数据行（表头已找到，但各行缺少姓名等必填项），"
                                      "请检查导出的文件是否完整。")
        for name in STAGING_SQL:
            warehouse.run_sql(con, name)
        warehouse.run_sql(con, "normalize/clear_rejects", {"month": plan.month})
        warehouse.run_sql(con, "normalize/insert_rejects", {"run_id": plan.run_id, "month": plan.month})
        warehouse.run_sql(con, "warehouse/checkpoint")   # the rules read the stg_* tables
        return dict(warehouse.fetch_sql(con, "normalize/rejects_by_file"))
    finally:
        con.close()


@sanitized("数据源检查", passthrough=EXPECTED_ERRORS)
def check_sources(db_path: Path, plan: RunPlan, settings: Settings, lineage: list[dict] | None = None) -> dict:
    """Source health before matching: coverage dates, townships, roster found in population,
    files identical to an earlier month's (by the lineage's sha256)."""
    con = warehouse.connect(db_path)
    try:
        report, warnings = health.check_sources(con, plan.month, plan.run_id, settings, lineage)
        # Source health is the last reader of the norm_* tables but the population's (the
        # rules read it through the view stg_population): their memory goes to matching.
        for table in NORM_TABLES_DONE_AFTER_CHECK:
            warehouse.run_sql(con, "normalize/drop_norm", fragments={"table": warehouse.ident(table)})
    finally:
        con.close()
    return {"sources": report, "warnings": warnings}


# ---------------------------------------------------------------- match

@sanitized("规则比对", passthrough=EXPECTED_ERRORS)
def match(db_path: Path, plan: RunPlan, settings: Settings, *, seconds: dict | None = None,
          model: ModelChoice | None = None) -> dict[str, int]:
    """Run every rule into rule_hits, then record this month's exceptions and cases
    (flows/cases/findings.py).
    `seconds`, when given, receives the time spent per rule (benchmarks read it).  `model`:
    the m DECEASED_SUSPECT scores with; by default the config's model file when its check
    passed, else the priors (flows/matching/model.py)."""
    model = model or load_for_run(settings)
    params = rule_params(plan.month, settings, plan.run_id)
    seconds = {} if seconds is None else seconds
    con = warehouse.connect(db_path)
    try:
        warehouse.run_sql(con, "matching/rule_hits")
        register_catalogue(con)
        for rule in RULES.values():
            started = time.perf_counter()
            if rule.prepare:
                PREPARE_STEPS[rule.prepare](con, params, settings, model)
            warehouse.run_sql(con, rule.sql, params, prefix="insert into rule_hits by name ")
            seconds[rule.code] = time.perf_counter() - started
        counts = findings.record_findings(con, params)
        # Nothing after the rules reads the input rows or the matching pairs: the memory they
        # hold (a city's 10M population rows) goes to the report step, and no name lingers.
        warehouse.drop_temporary_objects(con)
        warehouse.run_sql(con, "warehouse/checkpoint")   # the steps after it read the cases
        return counts
    finally:
        con.close()


# ---------------------------------------------------------------- follow up cases

@sanitized("疑点跟进", passthrough=EXPECTED_ERRORS)
def follow_up_cases(db_path: Path, plan: RunPlan, settings: Settings) -> None:
    """Escalation, actions and recovery entries from the month's cases (flows/cases/follow_up.py):
    the case state changes here, so the report step after it only reads."""
    con = warehouse.connect(db_path)
    try:
        follow_up.follow_up_month(con, plan.month, settings)
    finally:
        con.close()


# ---------------------------------------------------------------- report

@sanitized("生成报表", passthrough=EXPECTED_ERRORS)
def write_reports(work_db: Path, out_dir: Path, plan: RunPlan, settings: Settings, facts: dict) -> dict:
    """Every file of the month's out folder (flows/reports/month.py); returns run.json's record."""
    return month_reports.write_all(work_db, out_dir, plan, settings, facts)


def issue_notices(work_db: Path, month: str, today: dt.date) -> None:
    """After the report step: the 告知书 it wrote are issued on `today` (flows/cases/follow_up.py)."""
    con = warehouse.connect(work_db)
    try:
        follow_up.record_notices_issued(con, month, today)
    finally:
        con.close()


def record_papers(work_db: Path, plan: RunPlan, work_out: Path, lineage: list[dict], today: dt.date) -> None:
    """After the report step: the notices it wrote are issued, and the audit trail names every
    input read and file written (flows/cases/audit.py)."""
    issue_notices(work_db, plan.month, today)
    audit.record_run(work_db, plan, work_out, lineage)


def run_month_steps(work_db: Path, work_out: Path, plan: RunPlan, settings: Settings) -> dict:
    """Every step of a month's run, in the flow's order, as plain calls without Prefect
    (tests, benchmarks, `dibao model fit`): the flow (flows/reconcile.py) calls the same
    functions as tasks, on one connection like it.  Returns run.json's record."""
    started_at = dt.datetime.now()
    with warehouse.run_connection(work_db):
        lineage = load_sources(work_db, plan, settings)
        rejects_by_file = normalise(work_db, plan, settings)
        source_health = check_sources(work_db, plan, settings, lineage)
        counts = match(work_db, plan, settings)
        follow_up_cases(work_db, plan, settings)
        record = write_reports(work_db, work_out, plan, settings, {
            "started_at": started_at, "today": started_at.date(), "lineage": lineage,
            "rejects_by_file": rejects_by_file, "counts": counts, "source_health": source_health})
        record_papers(work_db, plan, work_out, lineage, started_at.date())
    return record


def refresh_after_returns(db_path: Path, month: str, out_dir: Path, settings: Settings) -> dict:
    """`dibao actions`: once a month's returns are in, follow the cases up again and write
    the action lists, notices and lists of the month into its out folder.

    Atomic like `dibao run`: the papers are written into a copy of the out folder and the
    warehouse changes into a working copy; both are swapped in only when everything is
    written, so a killed or failed run leaves the previous papers and warehouse as they were."""
    today = dt.date.today()
    with warehouse.run_lock(db_path):
        for stale in out_dir.parent.glob(f".{out_dir.name}.actions-*"):   # left by a killed run
            shutil.rmtree(stale, ignore_errors=True)
        staging = out_dir.with_name(f".{out_dir.name}.actions-{os.getpid()}")
        try:
            if out_dir.exists():
                shutil.copytree(out_dir, staging, symlinks=True)
            else:
                staging.mkdir(parents=True, mode=0o700)
            with warehouse.working_copy(db_path) as work:
                con = warehouse.connect(work)
                try:
                    warehouse.ensure_schema(con)
                    follow_up.follow_up_month(con, month, settings, snapshot_roster=False)
                    written = papers.write_follow_up_files(con, staging, month, settings, today=today)
                    follow_up.record_notices_issued(con, month, today)
                finally:
                    con.close()
            swap_folder(staging, out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    written["paths"] = {name: [str(out_dir / Path(p).relative_to(staging)) for p in paths]
                        for name, paths in written["paths"].items()}
    return written


def _prepare_suspects(con, params: dict, settings: Settings, model: ModelChoice | None = None) -> None:
    """Candidate pairs by blocking, then scored: what DECEASED_SUSPECT's SQL reads.  The
    threshold, the chance suspicions expected at it and the model used are kept for run.json."""
    summary = score_candidates(con, params, model or load_for_run(settings))
    record = summary.as_record()
    record["model"] = json.dumps(record["model"], ensure_ascii=False)   # one row, flat columns
    warehouse.replace_table(con, "suspect_match_summary", pd.DataFrame([record]))


# Steps a rule's header may name with `-- prepare: NAME` (flows/rules.py).
PREPARE_STEPS = {"suspect_scoring": _prepare_suspects}
