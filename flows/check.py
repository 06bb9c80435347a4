"""`dibao check`: what a run of a month would read, without writing anything.

For every configured source: the files its paths find, and for each sheet the header row
found, which header feeds which field (and which configured headers are absent), the
rows, and the dates it covers; then what is missing — a required source without files,
a file that cannot be read — and what looks stale: a death file that ends before the
month, files byte-identical to those an earlier month's run read (the warehouse's lineage,
opened read-only).  The first command a clerk runs when setting up a month.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flows import warehouse
from flows.config import PROJECT_ROOT, ConfigError, Settings
from flows.normalize.dates import month_bounds, parse_date
from flows.sources import ingest
from flows.sources.kinds import DATE, REQUIRED_FIELDS, field_type
from flows.sources.readers import SourceFileError, file_sha256
from flows.warehouse import ident

COVERAGE_FIELDS = ("death_date", "deregistration_date", "change_date", "cremation_date", "assistance_date")


@dataclass
class SheetCheck:
    sheet: str
    header_row: int
    rows: int
    mapped: dict[str, str]           # canonical field -> header found in the file
    absent: list[str]                # configured headers not found (those fields stay empty)
    dates: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (earliest, latest)


@dataclass
class FileCheck:
    path: Path
    sheets: list[SheetCheck] = field(default_factory=list)
    error: str | None = None


@dataclass
class SourceCheck:
    name: str
    label: str
    kind: str
    optional: bool
    patterns: list[str]
    files: list[FileCheck] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        if not self.files:
            return None if self.optional else "没有找到任何文件（必需的数据源）"
        errors = [f.error for f in self.files if f.error]
        return errors[0] if errors else None


def check_month(settings: Settings, month: str, overrides: dict[str, list[str]] | None = None) -> list[SourceCheck]:
    """Inspect every source of `month`; nothing is written anywhere."""
    from flows.pipeline import expand_paths

    overrides = overrides or {}
    report = []
    con = warehouse.connect(":memory:")    # files are read as a run reads them, into memory only
    try:
        for name, source in settings.sources.items():
            if name in overrides:
                patterns, base = overrides[name], Path.cwd()
            else:
                patterns, base = [p.format(month=month) for p in source.paths], PROJECT_ROOT
            check = SourceCheck(name, source.label, source.kind, source.optional, [str(p) for p in patterns])
            for path in expand_paths(patterns, base):
                check.files.append(_check_file(con, path, source))
            report.append(check)
    finally:
        con.close()
    return report


def stale_warnings(settings: Settings, month: str, report: list[SourceCheck]) -> list[str]:
    """What a run would warn about the files being old: a death file ending before the
    month, and files identical to an earlier month's (when the warehouse can be opened)."""
    from flows import health, warehouse

    first_day, _ = month_bounds(month)
    warnings = []
    for source in report:
        if source.kind != "deaths":
            continue
        ends = [sheet.dates.get("death_date", sheet.dates.get("cremation_date", ("", "")))[1]
                for file in source.files for sheet in file.sheets]
        latest = max((d for d in ends if d), default=None)
        if latest and latest < first_day.isoformat():
            warnings.append(health.death_file_ends_early(source.label, parse_date(latest), first_day))
    files = [{"source": source.name, "file": file.path.name, "sha256": file_sha256(file.path)}
             for source in report for file in source.files if not file.error]
    if files and settings.warehouse.exists():
        try:
            con = warehouse.connect(settings.warehouse, read_only=True)
        except ConfigError as exc:   # no key here: the rest of the check still stands
            return warnings + [f"未能与以往月份读入的文件比较：{exc}"]
        try:
            warnings += health.stale_inputs(con, month, files, {s.name: s.label for s in report})
        finally:
            con.close()
    return warnings


def _check_file(con, path: Path, source) -> FileCheck:
    result = FileCheck(path)
    try:
        (read,) = ingest.load_source(con, source.name, [path], source.columns, REQUIRED_FIELDS[source.kind])
    except SourceFileError as exc:
        result.error = str(exc)
        return result
    raw = ident(f"raw_{source.name}")
    rows = dict(warehouse.fetch_sql(con, "sources/sheet_row_counts", fragments={"raw": raw}))
    for layout in read["layouts"]:
        found, sheet = layout["columns"], layout["sheet"]
        mapped = {f: source.columns[f] for f in found}
        absent = [header for f, header in source.columns.items() if f not in found]
        dates = {}
        for field_name in COVERAGE_FIELDS + ("birth_date",):
            if field_name in found and field_type(source.kind, field_name) == DATE:
                values = warehouse.fetch_sql(con, "sources/sheet_values", {"sheet": sheet},
                                             fragments={"raw": raw, "column": ident(field_name)})
                parsed = sorted(d for d in (parse_date(v) for (v,) in values) if d)
                if parsed:
                    dates[field_name] = (parsed[0].isoformat(), parsed[-1].isoformat())
        result.sheets.append(SheetCheck(sheet, layout["header_row"], rows.get(sheet, 0), mapped, absent, dates))
    return result
