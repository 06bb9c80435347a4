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

from flows import health, warehouse
from flows.errors import sanitized
from flows.config import PROJECT_ROOT, REQUIRED_FIELDS, SOURCE_KINDS, ConfigError, Settings
from flows.matching.deceased import score_candidates
from flows.normalize.dates import month_bounds
from flows.rules import EXCEPTION_COLUMNS, RULES
from flows.sources.readers import SourceFileError, read_source_file
from flows.sources.stage import REJECT_COLUMNS, empty_staged, raw_table, stage_source, staged_arrow


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
             out_dir: Path | None = None, db_path: Path | None = None) -> RunPlan:
    """Resolve the files of every source.  `overrides` maps a source name to paths given
    on the command line (relative to the working directory)."""
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
        inputs[name] = files
    run_id = f"{month}-{dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    return RunPlan(month, run_id, Path(db_path or settings.warehouse), Path(out_dir or settings.out_dir(month)), inputs)


@contextlib.contextmanager
def exclusive_run(plan: RunPlan):
    """Lock the warehouse, work on copies, and swap them in only if the body succeeds."""
    with warehouse.run_lock(plan.db_path):
        warehouse.clear_stale_copies(plan.db_path)
        # Folders left by a killed run are garbage; we hold the lock, so nobody uses them.
        for stale in plan.out_dir.parent.glob(f".{plan.out_dir.name}.*-*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging_out = plan.out_dir.with_name(f".{plan.out_dir.name}.run-{os.getpid()}")
        staging_out.mkdir(parents=True, mode=0o700)
        try:
            with warehouse.working_copy(plan.db_path) as work_db:
                yield work_db, staging_out
                owner_only(work_db)
            owner_only(staging_out)
            _swap_folder(staging_out, plan.out_dir)
        finally:
            shutil.rmtree(staging_out, ignore_errors=True)


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


def _swap_folder(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- load

EXPECTED_ERRORS = (SourceFileError, warehouse.SqlError, warehouse.WarehouseBusyError, ConfigError)


@sanitized("读取数据", passthrough=EXPECTED_ERRORS)
def load_sources(db_path: Path, plan: RunPlan, settings: Settings) -> list[dict]:
    """Read every input file into raw_<source> tables; returns one lineage record per file."""
    lineage = []
    con = warehouse.connect(db_path)
    try:
        warehouse.ensure_schema(con)
        for name, files in plan.inputs.items():
            source = settings.sources[name]
            read = [read_source_file(path, source.columns, REQUIRED_FIELDS[source.kind]) for path in files]
            raw = raw_table(read)
            warehouse.replace_table(con, f"raw_{name}", raw.astype(object).where(raw.notna(), None)
                                    if not raw.empty else pd.DataFrame({"_file": pd.Series(dtype=str)}))
            for file in read:
                lineage.append({
                    "source": name, "kind": source.kind, "file": file.path.name, "path": str(file.path),
                    "sha256": file.sha256, "encoding": file.encoding, "sheets": len(file.sheets),
                    "rows_read": file.rows,
                })
    finally:
        con.close()
    return lineage


# ---------------------------------------------------------------- normalise

@sanitized("数据标准化", passthrough=EXPECTED_ERRORS)
def normalise(db_path: Path, plan: RunPlan, settings: Settings) -> dict[str, int]:
    """raw_<source> -> norm_<kind> -> stg_* tables, and rejects.  Returns rejects per file."""
    con = warehouse.connect(db_path)
    try:
        by_kind: dict[str, list[pd.DataFrame]] = {kind: [] for kind in SOURCE_KINDS}
        rejects = []
        for name in plan.inputs:
            source = settings.sources[name]
            raw = con.execute(f'select * from "raw_{name}"').df()
            staged, rejected = stage_source(source, raw, township_label=settings.township_label)
            by_kind[source.kind].append(staged)
            rejects.append(rejected)
        for kind in ("roster", "population"):   # a month may have no deaths, never no recipients
            if not any(len(f) for f in by_kind[kind]):
                names = "、".join(p.name for n in plan.inputs if settings.sources[n].kind == kind for p in plan.inputs[n])
                raise SourceFileError(f"{names} 中没有任何可用的数据行（表头已找到，但各行缺少姓名等必填项），"
                                      "请检查导出的文件是否完整。")
        for kind, frames in by_kind.items():
            frames = [f for f in frames if not f.empty] or [empty_staged(kind)]
            combined = pd.concat(frames, ignore_index=True)
            con.register("_staged", staged_arrow(combined))
            con.execute(f"create or replace table norm_{kind} as select * from _staged")
            con.unregister("_staged")
        for name in ("staging/stg_roster", "staging/stg_population", "staging/stg_death_evidence",
                     "staging/stg_households", "staging/stg_poverty", "staging/stg_subjects"):
            warehouse.run_sql(con, name)
        all_rejects = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
        all_rejects = all_rejects.astype({"row": "int64"}) if not all_rejects.empty else all_rejects
        all_rejects.insert(0, "month", plan.month)
        all_rejects.insert(0, "run_id", plan.run_id)
        con.execute("delete from rejects where month = ?", [plan.month])
        if not all_rejects.empty:
            con.register("_rejects", all_rejects.astype(object).where(all_rejects.notna(), None))
            con.execute("insert into rejects by name select * from _rejects")
            con.unregister("_rejects")
        return all_rejects.groupby("file").size().to_dict() if not all_rejects.empty else {}
    finally:
        con.close()


@sanitized("数据源检查", passthrough=EXPECTED_ERRORS)
def check_sources(db_path: Path, plan: RunPlan, settings: Settings) -> dict:
    """Source health before matching: coverage dates, townships, roster found in population."""
    con = warehouse.connect(db_path)
    try:
        report, warnings = health.check_sources(con, plan.month, plan.run_id, settings)
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
        "suspect_min_score": settings.suspect_min_score,
        "dibao_standard": settings.dibao_standard_monthly,
    }


@sanitized("规则比对", passthrough=EXPECTED_ERRORS)
def match(db_path: Path, plan: RunPlan, settings: Settings, *, seconds: dict | None = None) -> dict[str, int]:
    """Run every rule into rule_hits, then record this month's exceptions and cases.
    `seconds`, when given, receives the time spent per rule (benchmarks read it)."""
    params = rule_params(plan.month, settings, plan.run_id)
    seconds = {} if seconds is None else seconds
    con = warehouse.connect(db_path)
    try:
        warehouse.run_sql(con, "matching/rule_hits")
        _register_catalogue(con)
        for rule in RULES.values():
            started = time.perf_counter()
            if rule.code == "DECEASED_SUSPECT":
                warehouse.run_sql(con, "matching/suspect_candidates", params)
                score_candidates(con, name_floor=settings.suspect_name_similarity)
            warehouse.run_sql(con, rule.sql, params, prefix="insert into rule_hits by name ")
            seconds[rule.code] = time.perf_counter() - started
        con.execute("begin transaction")
        for name in ("cases/open_new_cases", "cases/update_seen_cases", "cases/resolve_missing_cases",
                     "cases/open_ledger_entries"):
            warehouse.run_sql(con, name, params)
        con.execute("delete from exceptions where month = ?", [plan.month])
        warehouse.run_sql(con, "reports/month_exceptions", params, prefix="insert into exceptions by name ")
        con.execute("commit")
        counts = dict(con.execute(
            "select rule, count(*) from exceptions where month = ? group by rule", [plan.month]).fetchall())
        return {code: int(counts.get(code, 0)) for code in RULES}
    finally:
        con.close()


def _register_catalogue(con) -> None:
    catalogue = pd.DataFrame([
        {"code": r.code, "name_zh": r.name_zh, "severity": r.severity, "family": r.family, "position": i}
        for i, r in enumerate(RULES.values())
    ])
    warehouse.replace_table(con, "rule_catalogue", catalogue)


# ---------------------------------------------------------------- report

def month_exceptions(con, month: str) -> pd.DataFrame:
    """This month's exceptions in SPEC order, with each case's status and the village's
    latest 核实结果 on it up to this month."""
    return con.execute(
        """with latest as (
               select case_id, arg_max(result, decided_at) as previous_result
               from decisions where month <= $month group by case_id
           )
           select e.*, r.name_zh as rule_name, c.status as case_status, l.previous_result
           from exceptions e join rule_catalogue r on r.code = e.rule join cases c using (case_id)
           left join latest l using (case_id)
           where e.month = $month order by e.township, e.village, r.position, e.household_id, e.name""",
        {"month": month}).df()


def write_machine_outputs(con, plan: RunPlan, out_dir: Path) -> pd.DataFrame:
    """exceptions.csv / .parquet and rejects.csv."""
    exceptions = month_exceptions(con, plan.month)
    table = exceptions[EXCEPTION_COLUMNS].copy()
    table["death_date"] = pd.to_datetime(table["death_date"]).dt.strftime("%Y-%m-%d")
    table["months_overpaid"] = table["months_overpaid"].astype("Int64")
    table["amount_overpaid"] = table["amount_overpaid"].astype(float).round(2)
    table.to_csv(out_dir / "exceptions.csv", index=False, encoding="utf-8")
    table.to_parquet(out_dir / "exceptions.parquet", index=False)
    rejects = con.execute(
        'select file, sheet, "row", "column", value, reason from rejects where month = ? order by file, sheet, "row"',
        [plan.month]).df()
    rejects.to_csv(out_dir / "rejects.csv", index=False, encoding="utf-8")
    return exceptions


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
        **(extra or {}),
    }
    (out_dir / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    con.execute("insert into runs values (?, ?, ?, ?, 'success', ?, ?, ?, ?)",
                [plan.run_id, plan.month, started_at, finished_at, record["package_version"],
                 settings.config_sha256, record["rows_rejected"], json.dumps(counts)])
    if lineage:
        inputs = pd.DataFrame(lineage)
        inputs.insert(0, "month", plan.month)
        inputs.insert(0, "run_id", plan.run_id)
        con.register("_inputs", inputs)
        con.execute("insert into run_inputs by name select * from _inputs")
        con.unregister("_inputs")
    return record
