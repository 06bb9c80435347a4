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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from flows import faults, generations, health, warehouse
from flows.errors import sanitized
from flows.config import PROJECT_ROOT, ConfigError, Settings
from flows.matching.deceased import score_candidates
from flows.matching.model import ModelChoice, load_for_run
from flows.normalize import staging
from flows.normalize.dates import month_bounds
from flows.rules import RULES
from flows.sources import ingest
from flows.sources.kinds import REQUIRED_FIELDS, SOURCE_KIND_SPECS
from flows.sources.readers import SourceFileError, probe_source_file


def package_version() -> str:
    try:
        return version("dibao-recon")
    except PackageNotFoundError:
        return "0+unknown"


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
def exclusive_run(plan: RunPlan):
    """Lock the warehouse, work on copies, and swap them in only if the body succeeds.

    Before anything is copied: the live warehouse must open, and the disks must have room
    for the copies.  A machine fault (disk full, no permission, read-only) anywhere in the
    run becomes a RunFault naming the path."""
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

LOAD_CHECKPOINT_THRESHOLD = "8GB"
EXPECTED_ERRORS = (SourceFileError, warehouse.SqlError, warehouse.WarehouseBusyError, ConfigError, faults.RunFault)


@sanitized("读取数据", passthrough=EXPECTED_ERRORS)
def load_sources(db_path: Path, plan: RunPlan, settings: Settings) -> list[dict]:
    """Read every input file into raw_<source> tables; returns one lineage record per file.
    CSV goes through DuckDB's reader (a GB18030 file via a UTF-8 scratch copy beside the
    working warehouse, deleted after), xlsx through python-calamine as Arrow tables."""
    lineage = []
    con = warehouse.connect(db_path)
    try:
        warehouse.ensure_schema(con)
        # One INSERT per file or sheet (a city has a thousand): at DuckDB's default 16 MB of
        # WAL each few of them would checkpoint the warehouse; once, on close, is a third faster.
        con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
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

@sanitized("数据标准化", passthrough=EXPECTED_ERRORS)
def normalise(db_path: Path, plan: RunPlan, settings: Settings) -> dict[str, int]:
    """raw_<source> -> norm_<kind> -> stg_* tables, and rejects.  Returns rejects per file.
    Set-wise in DuckDB (flows/normalize/staging.py); Python sees distinct values only."""
    con = warehouse.connect(db_path)
    try:
        sources = [settings.sources[name] for name in plan.inputs]
        staging.stage_all(con, sources, settings.township_label)
        for kind in (k for k, spec in SOURCE_KIND_SPECS.items() if spec.never_empty):
            if not warehouse.fetch_sql(con, "sources/row_count", fragments={"table": warehouse.ident(f"norm_{kind}")})[0][0]:
                names = "、".join(p.name for n in plan.inputs if settings.sources[n].kind == kind for p in plan.inputs[n])
                raise SourceFileError(f"{names} 中没有任何可用的数据行（表头已找到，但各行缺少姓名等必填项），"
                                      "请检查导出的文件是否完整。")
        for name in STAGING_SQL:
            warehouse.run_sql(con, name)
        con.execute("delete from rejects where month = ?", [plan.month])
        warehouse.run_sql(con, "normalize/insert_rejects", {"run_id": plan.run_id, "month": plan.month})
        return dict(con.execute("select file, count(*) from _stage_rejects group by file").fetchall())
    finally:
        con.close()


@sanitized("数据源检查", passthrough=EXPECTED_ERRORS)
def check_sources(db_path: Path, plan: RunPlan, settings: Settings, lineage: list[dict] | None = None) -> dict:
    """Source health before matching: coverage dates, townships, roster found in population,
    files identical to an earlier month's (by the lineage's sha256)."""
    con = warehouse.connect(db_path)
    try:
        report, warnings = health.check_sources(con, plan.month, plan.run_id, settings, lineage)
    finally:
        con.close()
    return {"sources": report, "warnings": warnings}


# ---------------------------------------------------------------- match

def rule_params(month: str, settings: Settings, run_id: str = "") -> dict:
    first, last = month_bounds(month)
    return {
        "month": month, "run_id": run_id, "month_start": first, "month_end": last,
        "month_index": first.year * 12 + first.month,
        "gradual_exit_months": settings.gradual_exit_months,
        "suspect_min_probability": settings.suspect_min_probability,
        "dibao_standard": settings.dibao_standard_monthly,
    }


@sanitized("规则比对", passthrough=EXPECTED_ERRORS)
def match(db_path: Path, plan: RunPlan, settings: Settings, *, seconds: dict | None = None,
          model: ModelChoice | None = None) -> dict[str, int]:
    """Run every rule into rule_hits, then record this month's exceptions and cases.
    `seconds`, when given, receives the time spent per rule (benchmarks read it).  `model`:
    the m DECEASED_SUSPECT scores with; by default the config's model file when its check
    passed, else the priors (flows/matching/model.py)."""
    model = model or load_for_run(settings)
    params = rule_params(plan.month, settings, plan.run_id)
    seconds = {} if seconds is None else seconds
    con = warehouse.connect(db_path)
    try:
        warehouse.run_sql(con, "matching/rule_hits")
        _register_catalogue(con)
        for rule in RULES.values():
            started = time.perf_counter()
            if rule.prepare:
                PREPARE_STEPS[rule.prepare](con, params, settings, model)
            warehouse.run_sql(con, rule.sql, params, prefix="insert into rule_hits by name ")
            seconds[rule.code] = time.perf_counter() - started
        return record_findings(con, params)
    finally:
        con.close()


def record_findings(con, params: dict) -> dict[str, int]:
    """rule_hits -> this month's cases and exceptions, in one transaction; counts per rule.
    Also called after cross-county findings are added to rule_hits (flows/counties)."""
    month = params["month"]
    con.execute("begin transaction")
    for name in ("cases/open_new_cases", "cases/update_seen_cases", "cases/resolve_missing_cases",
                 "cases/open_ledger_entries"):
        warehouse.run_sql(con, name, params)
    con.execute("delete from exceptions where month = ?", [month])
    warehouse.run_sql(con, "reports/month_exceptions", params, prefix="insert into exceptions by name ")
    warehouse.run_sql(con, "cases/registry_certainty", params)
    con.execute("commit")
    counts = dict(con.execute(
        "select rule, count(*) from exceptions where month = ? group by rule", [month]).fetchall())
    return {code: int(counts.get(code, 0)) for code in RULES}


def _prepare_suspects(con, params: dict, settings: Settings, model: ModelChoice | None = None) -> None:
    """Candidate pairs by blocking, then scored: what DECEASED_SUSPECT's SQL reads.  The
    threshold, the chance suspicions expected at it and the model used are kept for run.json."""
    summary = score_candidates(con, params, model or load_for_run(settings))
    record = summary.as_record()
    record["model"] = json.dumps(record["model"], ensure_ascii=False)   # one row, flat columns
    warehouse.replace_table(con, "suspect_match_summary", pd.DataFrame([record]))


# Steps a rule's header may name with `-- prepare: NAME` (flows/rules.py).
PREPARE_STEPS = {"suspect_scoring": _prepare_suspects}


def _register_catalogue(con) -> None:
    catalogue = pd.DataFrame([
        {"code": r.code, "name_zh": r.name_zh, "severity": r.severity, "family": r.family, "position": i,
         "outranks_village": r.outranks_village}
        for i, r in enumerate(RULES.values())
    ])
    warehouse.replace_table(con, "rule_catalogue", catalogue)
