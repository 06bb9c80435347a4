"""The city config: which counties, where each county's sources, warehouse and out folder
are, and where the month's exchange folder (the only thing shared between machines) is.

    [city]
    name = "示例市"
    warehouse = "data/city/city.duckdb"        # the parent run's warehouse (hashes only)
    out_dir = "data/city/out/{month}"           # summary/ of the parent run
    exchange_dir = "data/city/exchange/{month}" # a folder every machine can reach
    max_parallel = 2                            # counties at once, on one machine
    key_file = "/etc/dibao/city.key"            # optional; $DIBAO_CITY_KEY wins

    [counties.liangping]                        # the key names the county in commands
    name = "梁平区"
    config = "configs/default.toml"             # column mappings and thresholds
    warehouse = "data/counties/liangping/warehouse.duckdb"
    out_dir = "data/counties/liangping/out/{month}"
    queue = "liangping"                         # optional: the work queue of its machine
    [counties.liangping.sources]                # source name of `config` -> paths/globs
    roster = ["data/raw/liangping/{month}/roster/*.xlsx"]

Relative paths are relative to the project root, like every other config.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flows.config import ConfigError, resolve


@dataclass(frozen=True)
class CountyConfig:
    key: str
    name: str
    config: Path | None
    warehouse: Path
    out_dir_pattern: str
    queue: str | None
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def out_dir(self, month: str) -> Path:
        return resolve(self.out_dir_pattern.format(month=month))

    def inputs(self, month: str) -> dict[str, list[str]]:
        """Source name -> absolute paths/globs for `month` (the run's `inputs` override)."""
        return {name: [str(resolve(p.format(month=month))) for p in paths] for name, paths in self.sources.items()}


@dataclass(frozen=True)
class CityConfig:
    path: Path
    name: str
    warehouse: Path
    out_dir_pattern: str
    exchange_pattern: str
    max_parallel: int
    key_file: Path | None
    counties: dict[str, CountyConfig]

    def out_dir(self, month: str) -> Path:
        return resolve(self.out_dir_pattern.format(month=month))

    def exchange_dir(self, month: str) -> Path:
        return resolve(self.exchange_pattern.format(month=month))


def load_city(path: Path | str) -> CityConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到市级配置文件：{path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"市级配置文件 {path} 格式错误：{exc}") from None
    city = raw.get("city", {})
    counties = {key: _county(key, spec, path) for key, spec in raw.get("counties", {}).items()}
    if not counties:
        raise ConfigError(f"市级配置文件 {path} 没有声明任何区县（[counties.NAME]）")
    names = [c.name for c in counties.values()]
    if len(set(names)) != len(names):
        raise ConfigError(f"市级配置文件 {path} 中区县名称重复")
    key_file = city.get("key_file")
    return CityConfig(
        path=path,
        name=city.get("name", ""),
        warehouse=resolve(city.get("warehouse", "data/city/city.duckdb")),
        out_dir_pattern=city.get("out_dir", "data/city/out/{month}"),
        exchange_pattern=city.get("exchange_dir", "data/city/exchange/{month}"),
        max_parallel=max(1, int(city.get("max_parallel", 2))),
        key_file=resolve(key_file) if key_file else None,
        counties=counties,
    )


def _county(key: str, spec: dict, path: Path) -> CountyConfig:
    if not key.replace("_", "").replace("-", "").isalnum() or not key.isascii():
        raise ConfigError(f"市级配置文件 {path} 中区县键名 {key!r} 只能用英文字母、数字、- 和 _")
    for required in ("warehouse", "out_dir", "sources"):
        if required not in spec:
            raise ConfigError(f"市级配置文件 {path} 中区县 {key} 缺少 {required}")
    sources = {name: tuple([p] if isinstance(p, str) else p) for name, p in spec["sources"].items()}
    return CountyConfig(
        key=key,
        name=spec.get("name", key),
        config=resolve(spec["config"]) if spec.get("config") else None,
        warehouse=resolve(spec["warehouse"]),
        out_dir_pattern=spec["out_dir"],
        queue=spec.get("queue"),
        sources=sources,
    )
