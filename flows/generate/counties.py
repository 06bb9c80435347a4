"""Several generated counties for one city, with cross-county faults between them.

`generate_counties(out_dir, month, seeds)` writes one township-scale county per seed under
out_dir/<key>/ with `flows.generate.generate` (its own faults and truth.csv), then adds
the faults only a city can see, each as an extra UTF-8 CSV in the county's default
layout (the county's own files stay as generated):

  DUPLICATE_BENEFIT across counties: a clean recipient of county i is also listed, as a
      one-person household, on the roster of county i+1 (roster/跨区县_补录名册_M.csv);
  DECEASED_PAID across counties: a clean, living recipient of county i died two months
      before M, recorded by the police of county i+2 (deaths/跨区县_死亡注销_M.csv) or
      by the crematorium of county i+1 (cremation/跨区县_火化记录_M.csv).

It returns, and writes to out_dir/cross_truth.csv, one row per expected cross-county
finding: county key, rule, id_number, name.  `write_city_config` writes a city config
for the generated counties (flows/counties/city_config.py).

    python -m flows.generate.counties OUT_DIR [--month 2020-05] [--seeds 11 12 13]
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from flows import warehouse
from flows.config import SourceConfig, load_settings, source_folders
from flows.normalize.ids import VALID, normalize_id
from flows.sources import ingest
from flows.sources.kinds import REQUIRED_FIELDS

from .core import generate_in_one
from .world import Month

COUNTY_NAMES = ("甲县", "乙县", "丙县", "丁县", "戊县")
DEFAULT_SEEDS = (11, 12, 13)
# The sources a city's counties are reconciled with (the generated ledgers are left out).
CITY_SOURCES = ("roster", "police_deaths", "population", "cremation")


def county_keys(n: int) -> list[str]:
    return [f"county{i + 1}" for i in range(n)]


def generate_counties(out_dir: Path, month: str, seeds: tuple[int, ...] = DEFAULT_SEEDS) -> pd.DataFrame:
    out_dir = Path(out_dir)
    keys = county_keys(len(seeds))
    for key, seed in zip(keys, seeds):
        generate_in_one("township", seed, month, out_dir / key)
    settings = load_settings(None)
    columns = {name: settings.sources[name].columns for name in ("roster", "police_deaths", "cremation")}
    rosters = {key: _roster(out_dir / key, settings.sources["roster"]) for key in keys}
    rng = np.random.default_rng(sum(seeds))
    picks = {key: _clean_members(out_dir / key, rosters[key], rng, 3) for key in keys}
    death_date = _two_months_before(month)
    truth, added_roster, added_police, added_cremation = [], {k: [] for k in keys}, {k: [] for k in keys}, \
        {k: [] for k in keys}
    n = len(keys)
    for i, key in enumerate(keys):
        twin, police_dead, cremated = picks[key]
        other = keys[(i + 1) % n]
        added_roster[other].append(_listing(twin, rosters[other], len(added_roster[other]) + 1))
        truth += [(key, "DUPLICATE_BENEFIT", twin), (other, "DUPLICATE_BENEFIT", twin)]
        added_police[keys[(i + 2) % n]].append(police_dead | {"death_date": death_date})
        truth.append((key, "DECEASED_PAID", police_dead))
        added_cremation[other].append(cremated | {"death_date": death_date})
        truth.append((key, "DECEASED_PAID", cremated))
    for key in keys:
        folder = out_dir / key
        _write(folder / "roster" / f"跨区县_补录名册_{month}.csv", columns["roster"], added_roster[key])
        _write(folder / "deaths" / f"跨区县_死亡注销_{month}.csv", columns["police_deaths"],
               [_police_row(p) for p in added_police[key]])
        _write(folder / "cremation" / f"跨区县_火化记录_{month}.csv", columns["cremation"],
               [_cremation_row(p) for p in added_cremation[key]])
    frame = pd.DataFrame([{"county": k, "rule": r, "id_number": p["id_number"], "name": p["name"]}
                          for k, r, p in truth])
    frame.to_csv(out_dir / "cross_truth.csv", index=False, encoding="utf-8")
    return frame


def write_city_config(out_dir: Path, keys: list[str], *, work_dir: Path | None = None,
                      base_config: Path | None = None, name: str = "示例市", max_parallel: int = 2) -> Path:
    """A city config (work_dir/city.toml) for counties generated under out_dir: their
    inputs are read from out_dir/<key>/, their warehouses and out folders go to
    work_dir/<key>/ (default out_dir/work), the city's to work_dir/city/."""
    out_dir = Path(out_dir).resolve()
    work_dir = Path(work_dir or out_dir / "work").resolve()
    folders = source_folders()
    lines = ["[city]", f'name = "{name}"', f'warehouse = "{work_dir / "city" / "city.duckdb"}"',
             f'out_dir = "{work_dir / "city" / "out" / "{month}"}"',
             f'exchange_dir = "{work_dir / "exchange" / "{month}"}"', f"max_parallel = {max_parallel}", ""]
    for key, county_name in zip(keys, COUNTY_NAMES):
        raw, work = out_dir / key, work_dir / key
        lines += [f"[counties.{key}]", f'name = "{county_name}"']
        if base_config:
            lines.append(f'config = "{Path(base_config).resolve()}"')
        lines += [f'warehouse = "{work / "warehouse.duckdb"}"', f'out_dir = "{work / "out" / "{month}"}"',
                  f"[counties.{key}.sources]"]
        for name in CITY_SOURCES:
            lines.append(f'{name} = ["{raw / folders[name]}"]')
        lines.append("")
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "city.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _roster(folder: Path, source: SourceConfig) -> pd.DataFrame:
    """The county's roster workbook as a run reads it: its cells as text, in file order."""
    path = next((folder / "roster").glob("*.xlsx"))
    con = warehouse.connect(":memory:")
    try:
        ingest.load_source(con, source.name, [path], source.columns, REQUIRED_FIELDS[source.kind])
        return warehouse.query_sql(con, "sources/raw_cells", fragments={"raw": warehouse.ident(f"raw_{source.name}")})
    finally:
        con.close()


def _clean_members(folder: Path, roster: pd.DataFrame, rng: np.random.Generator, n: int) -> list[dict]:
    """n roster members with a valid ID whom no fault of the county's own truth touches."""
    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    touched_ids, touched_households = set(truth["id_number"].dropna()), set(truth["household_id"].dropna())
    candidates = []
    for row in roster.to_dict("records"):
        parsed = normalize_id(row.get("id_number"))
        if parsed.status != VALID or parsed.id_number in touched_ids or row.get("household_id") in touched_households:
            continue
        candidates.append({"name": row["name"], "id_number": parsed.id_number, "sex": parsed.sex,
                           "birth_date": parsed.birth_date.isoformat()})
    unique = {c["id_number"]: c for c in candidates}
    chosen = rng.choice(len(unique), size=n, replace=False)
    values = list(unique.values())
    return [values[i] for i in sorted(chosen)]


def _listing(person: dict, roster: pd.DataFrame, number: int) -> dict:
    """The person as a one-member 低保 household in the first village of another roster."""
    first = roster.iloc[0]
    return {"county": first.get("county"), "township": first.get("township"), "village": first.get("village"),
            "household_id": f"KX{number:04d}", "head_name": person["name"], "head_id_number": person["id_number"],
            "name": person["name"], "id_number": person["id_number"], "sex": person["sex"],
            "birth_date": person["birth_date"], "relation": "户主", "benefit_type": "农村低保", "household_size": 1,
            "monthly_amount": 420, "enrolled_month": "2019-03", "gradual_exit_month": "", "health": "健康",
            "phone": "13800000000"}


def _police_row(person: dict) -> dict:
    return {"name": person["name"], "id_number": person["id_number"], "sex": person["sex"],
            "birth_date": person["birth_date"], "death_date": person["death_date"],
            "deregistration_date": person["death_date"], "reason": "死亡", "address": "外县", "police_station": "外县派出所"}


def _cremation_row(person: dict) -> dict:
    return {"name": person["name"], "id_number": person["id_number"], "death_date": person["death_date"],
            "cremation_date": person["death_date"], "funeral_home": "外县殡仪馆"}


def _write(path: Path, columns: dict[str, str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = list(columns)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([columns[f] for f in fields])
        for row in rows:
            writer.writerow(["" if row.get(f) is None else row.get(f) for f in fields])


def _two_months_before(month: str) -> str:
    year, month0 = divmod(Month.parse(month).index - 2, 12)   # index = year*12 + month-1
    return f"{year:04d}-{month0 + 1:02d}-15"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成多个区县的合成数据及跨区县问题（cross_truth.csv）和市级配置")
    parser.add_argument("out", type=Path)
    parser.add_argument("--month", default="2020-05")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    args = parser.parse_args(argv)
    truth = generate_counties(args.out, args.month, tuple(args.seeds))
    config = write_city_config(args.out, county_keys(len(args.seeds)))
    print(f"已生成 {len(args.seeds)} 个区县到 {args.out}，跨区县问题 {len(truth)} 条（cross_truth.csv）")
    print(f"市级配置：{config}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
