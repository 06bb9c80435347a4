"""Settings, read and validated once.  Every path is derived from one project root."""
from __future__ import annotations

import hashlib
import os
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from dataclasses import dataclass, field
from pathlib import Path

from flows.sources.kinds import REQUIRED_FIELDS, REQUIRED_KINDS, SOURCE_KINDS

PROJECT_ROOT = Path(os.environ.get("DIBAO_ROOT", Path(__file__).resolve().parents[1]))
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "default.toml"
DEMO_CONFIG = PROJECT_ROOT / "configs" / "demo.toml"
SQL_DIR = PROJECT_ROOT / "sql"


class ConfigError(ValueError):
    """The configuration file is wrong; the message says where, in Chinese."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    label: str
    paths: tuple[str, ...]
    columns: dict[str, str]  # canonical field -> header as it appears in the file
    optional: bool = False


@dataclass(frozen=True)
class EngineSettings:
    """[engine]: DuckDB's limits for every connection of a run (empty = DuckDB's default)."""

    memory_limit: str = ""       # e.g. "4GB"; DuckDB's default is 80% of RAM
    temp_directory: str = ""     # where DuckDB spills when a query exceeds memory_limit
    threads: int = 0             # 0 = one per core


@dataclass(frozen=True)
class FollowUpConfig:
    """[follow_up]: escalation, and the office named on 告知书 (notices)."""
    overdue_months: int = 2            # unanswered this many months → 逾期未核实
    office_name: str = "{township}民政和社会事务办"
    office_address: str = ""
    office_phone: str = ""
    review_days: int = 30              # 申请复核 within this many days of receiving the notice
    review_route: str = "向{office}提出书面复核申请"          # how to ask for a 复核, on the notice
    refund_how: str = "请自收到本告知书之日起30日内到{office}或村（社区）办理退回，可一次退回或申请分期退回"


@dataclass(frozen=True)
class Settings:
    config_path: Path
    config_sha256: str
    township_label: str
    district_label: str
    warehouse: Path
    out_dir_pattern: str
    prefect_home: Path
    mask_ids: bool
    no_exception_sheet: bool
    protect_workbooks: bool
    reporting_unit: str
    suspect_min_probability: float
    gradual_exit_months: int
    dibao_standard_monthly: float
    cron: str
    timezone: str
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    engine: EngineSettings = EngineSettings()
    backups_keep: int = 3        # verified previous warehouses kept ([backups] keep; 0 = none)
    backups_dir: Path | None = None   # [backups] folder; default <warehouse>.backups/ beside it
    follow_up: FollowUpConfig = field(default_factory=lambda: FollowUpConfig())
    key_file: Path | None = None   # [warehouse] key_file: this config's warehouse key (the demo's own)
    model_file: Path | None = None   # [model] file: m re-estimated from the villages' answers (dibao model fit)

    def out_dir(self, month: str) -> Path:
        return resolve(self.out_dir_pattern.format(month=month))


def resolve(path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def source_folders(path: Path | None = None) -> dict[str, str]:
    """Source name -> the folder of a month's files its paths name in the default config
    (`data/raw/{month}/deaths/*.csv` -> deaths): the layout the generator writes, tests and
    benchmarks point a run at, and a second generation clears."""
    sources = load_settings(path or DEFAULT_CONFIG).sources
    return {name: Path(source.paths[0]).parent.name for name, source in sources.items() if source.paths}


def folder_overrides(raw: Path) -> dict[str, list[str]]:
    """Paths for a run on a folder in that layout (raw/roster, raw/deaths, …): every source
    of the default config whose folder is there (a generated township, say)."""
    return {name: [str(Path(raw) / folder)] for name, folder in source_folders().items()
            if (Path(raw) / folder).is_dir()}


def default_config_path() -> Path:
    """The config used when none is named: $DIBAO_CONFIG (tests set it), else configs/default.toml."""
    return Path(os.environ.get("DIBAO_CONFIG") or DEFAULT_CONFIG)


def load_settings(path: Path | None = None) -> Settings:
    path = Path(path or default_config_path())
    raw, raw_bytes = _read_toml(path)

    project = raw.get("project", {})
    report = raw.get("report", {})
    thresholds = raw.get("thresholds", {})
    schedule = raw.get("schedule", {})
    engine = raw.get("engine", {})
    backups = raw.get("backups", {})
    sources = {name: _source(name, spec, path) for name, spec in raw.get("sources", {}).items()}
    for kind in REQUIRED_KINDS:
        if not any(s.kind == kind for s in sources.values()):
            raise ConfigError(f"配置文件 {path} 没有声明 kind = \"{kind}\" 的数据源")
    return Settings(
        config_path=path,
        config_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        township_label=project.get("township_label", ""),
        district_label=project.get("district_label", ""),
        warehouse=resolve(project.get("warehouse", "data/warehouse.duckdb")),
        out_dir_pattern=project.get("out_dir", "data/out/{month}"),
        prefect_home=resolve(project.get("prefect_home", "data/prefect")),
        mask_ids=bool(report.get("mask_ids", True)),
        no_exception_sheet=bool(report.get("no_exception_sheet", True)),
        protect_workbooks=bool(report.get("protect_workbooks", False)),
        reporting_unit=report.get("reporting_unit", "{township}民政和社会事务办"),
        suspect_min_probability=float(thresholds.get("suspect_min_probability", 0.95)),
        gradual_exit_months=int(thresholds.get("gradual_exit_months", 6)),
        dibao_standard_monthly=float(thresholds.get("dibao_standard_monthly", 620)),
        cron=schedule.get("cron", "0 6 1 * *"),
        timezone=schedule.get("timezone", "Asia/Shanghai"),
        sources=sources,
        engine=_engine(engine, path),
        backups_keep=_count(backups.get("keep", 3), "[backups] keep", path),
        backups_dir=resolve(backups["folder"]) if backups.get("folder") else None,
        follow_up=_follow_up(raw.get("follow_up", {}), path),
        key_file=resolve(raw["warehouse"]["key_file"]) if raw.get("warehouse", {}).get("key_file") else None,
        model_file=resolve(raw["model"]["file"]) if raw.get("model", {}).get("file") else None,
    )


def _engine(spec: dict, path: Path) -> EngineSettings:
    memory_limit = str(spec.get("memory_limit", "")).strip()
    if memory_limit and not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)?", memory_limit, re.I):
        raise ConfigError(f"配置文件 {path} 中 [engine] memory_limit 应写作 \"4GB\"、\"512MB\" 之类，实为 {memory_limit!r}")
    temp = str(spec.get("temp_directory", "")).strip()
    return EngineSettings(memory_limit=memory_limit, temp_directory=str(resolve(temp)) if temp else "",
                          threads=_count(spec.get("threads", 0), "[engine] threads", path))


def _count(value, key: str, path: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"配置文件 {path} 中 {key} 应为不小于 0 的整数，实为 {value!r}")
    return value


def _follow_up(spec: dict, path: Path) -> FollowUpConfig:
    try:
        config = FollowUpConfig(
            overdue_months=int(spec.get("overdue_months", 2)),
            office_name=str(spec.get("office_name", "{township}民政和社会事务办")),
            office_address=str(spec.get("office_address", "")),
            office_phone=str(spec.get("office_phone", "")),
            review_days=int(spec.get("review_days", 30)),
            review_route=str(spec.get("review_route", FollowUpConfig.review_route)),
            refund_how=str(spec.get("refund_how", FollowUpConfig.refund_how)),
        )
    except (TypeError, ValueError):
        raise ConfigError(f"配置文件 {path} 的 [follow_up] 中 overdue_months、review_days 应为整数") from None
    if config.overdue_months < 1 or config.review_days < 1:
        raise ConfigError(f"配置文件 {path} 的 [follow_up] 中 overdue_months、review_days 应大于0")
    return config


def _read_toml(path: Path, depth: int = 0) -> tuple[dict, bytes]:
    """The config as a dict, with `extends = "other.toml"` (relative to it) merged under it;
    the bytes returned (for config_sha256) are those of every file read."""
    try:
        raw_bytes = path.read_bytes()
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件：{path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc
    parent = raw.pop("extends", None)
    if parent and depth < 5:
        base, base_bytes = _read_toml(path.parent / parent, depth + 1)
        return _merged(base, raw), base_bytes + raw_bytes
    return raw, raw_bytes


def _merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def _source(name: str, spec: dict, path: Path) -> SourceConfig:
    kind = spec.get("kind")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"配置文件 {path} 中数据源 {name} 的 kind 应为 {'/'.join(SOURCE_KINDS)}，实为 {kind!r}")
    columns = dict(spec.get("columns", {}))
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in columns]
    if missing:
        raise ConfigError(f"配置文件 {path} 中数据源 {name} 缺少字段映射：{', '.join(missing)}")
    paths = spec.get("paths", [])
    return SourceConfig(
        name=name,
        kind=kind,
        label=spec.get("label", name),
        paths=tuple([paths] if isinstance(paths, str) else paths),
        columns=columns,
        optional=bool(spec.get("optional", False)),
    )


def package_version() -> str:
    try:
        return version("dibao-recon")
    except PackageNotFoundError:
        return "0+unknown"
