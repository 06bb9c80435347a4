"""generate(): build the world, inject the faults, write the files and truth.csv."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import render, writers
from .faults import AMOUNT_RANGES, FIRST_ENROLMENT, Ctx, inject_all
from .namesakes import separate_namesakes, separate_roster_lookalikes
from .people import RECIPIENT, build_people
from .world import Month, World, build_world

HEALTH = np.array(["健康", "慢性病", "重病", "残疾"], dtype=object)
HEALTH_P = {"低保": [0.58, 0.27, 0.07, 0.08], "特困供养": [0.25, 0.45, 0.12, 0.18]}


def generate(scale: str, seed: int, month: str, out_dir: Path) -> dict:
    """Synthetic inputs for run month `month` ("YYYY-MM") at `scale` (township |
    district | city) under `out_dir`, plus truth.csv listing every injected fault.

    Deterministic for a seed.  Returns counts: roster_rows, deaths_rows,
    population_rows, cremation_rows, truth_rows, and files (paths written, as str)."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    run_month = Month.parse(month)
    world = build_world(scale)

    people, households = build_people(rng, world, run_month)
    ctx = Ctx(rng=rng, month=run_month, world=world, people=people,
              households=prepare_households(rng, households, run_month),
              roster=prepare_roster(rng, people, households),
              taken_ids=set(people["id18"]))
    separate_roster_lookalikes(ctx)
    inject_all(ctx)
    separate_namesakes(ctx)
    return write_all(ctx, out_dir, population_as_xlsx=(scale == "township"))


def prepare_households(rng: np.random.Generator, households: pd.DataFrame, month: Month) -> pd.DataFrame:
    """Household-level roster fields that faults may change: 纳入年月, 渐退, 保障人数 offset."""
    n = len(households)
    return households.assign(
        enrolled=rng.integers(FIRST_ENROLMENT, max(month.index, FIRST_ENROLMENT) + 1, n),
        exit_month=-1, size_delta=0,
        month_style=np.where(rng.random(n) < 0.3, "chinese", "iso"),
        phone=_phones(rng, n),
        priority=rng.permutation(n),  # the order in which faults claim households
        used=False)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Synthetic 11-digit mobile numbers (13x, 15x, 17x, 18x, 19x)."""
    second = rng.choice(np.array(["3", "5", "7", "8", "9"], dtype=object), n)
    rest = pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9)
    return ("1" + second + rest).to_numpy(dtype=object)


def prepare_roster(rng: np.random.Generator, people: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """One row per recipient, with empty override columns for the faults to fill."""
    members = people[people["kind"] == RECIPIENT]
    n = len(members)
    benefit = households["benefit"].to_numpy()[members["hh"].to_numpy()]
    amount = np.zeros(n, dtype=np.int64)
    for kind, (lo, hi) in AMOUNT_RANGES.items():
        mine = benefit == kind
        amount[mine] = rng.integers(lo, hi + 1, mine.sum())
    tekun = benefit == "特困供养"
    health = np.where(tekun, rng.choice(HEALTH, n, p=HEALTH_P["特困供养"]),
                      rng.choice(HEALTH, n, p=HEALTH_P["低保"]))
    return pd.DataFrame({
        "pid": members.index.to_numpy(), "hh": members["hh"].to_numpy(),
        "relation": members["relation"].to_numpy(), "amount": amount, "health": health,
        "appended": False,
        # What the row says where it differs from the truth (set by faults only):
        "name_text": None, "id_raw": None, "id_is_number": False, "male_stated": None,
        "birth_stated": pd.NaT, "birth_text": None, "amount_text": None,
    }).astype({"name_text": object, "id_raw": object, "male_stated": object,
               "birth_text": object, "amount_text": object})


def write_all(ctx: Ctx, out_dir: Path, population_as_xlsx: bool) -> dict:
    """Roster and population per township, deaths and cremation per district, truth."""
    label = ctx.month.label
    counts = {"roster_rows": 0, "deaths_rows": 0, "population_rows": 0, "cremation_rows": 0}
    files: list[Path] = []
    roster = render.roster_frame(ctx)
    populations = render.population_frames(ctx)
    for t_i, town in enumerate(ctx.world.townships):
        path = out_dir / "roster" / f"{town.name}_低保特困在册人员名册_{label}.xlsx"
        mine = roster[roster["乡镇（街道）"] == town.name]
        writers.write_roster_xlsx(path, mine, town.name, town.district, ctx.month.report_day)
        counts["roster_rows"] += len(mine)
        files.append(path)

        population = populations[t_i]
        if population_as_xlsx:  # one township arrives as a workbook; many as CSV (faster)
            path = out_dir / "population" / f"{town.name}_计生全员人口_{label}.xlsx"
            writers.write_population_xlsx(path, population, town.name, ctx.month.last_day)
        else:
            path = out_dir / "population" / f"{town.name}_计生全员人口_{label}.csv"
            writers.write_csv(path, population, "utf-8-sig")
        counts["population_rows"] += len(population)
        files.append(path)

    for district in _districts_with_townships(ctx.world):
        police = render.police_frame(ctx, district)
        path = out_dir / "deaths" / f"{district}_公安死亡注销人员_{label}.csv"
        writers.write_csv(path, police, "gb18030")
        counts["deaths_rows"] += len(police)
        files.append(path)

        cremation = render.cremation_frame(ctx, district)
        path = out_dir / "cremation" / f"{district}_火化记录_{label}.csv"
        writers.write_csv(path, cremation, "utf-8")
        counts["cremation_rows"] += len(cremation)
        files.append(path)

    truth = render.truth_frame(ctx)
    path = out_dir / "truth.csv"
    writers.write_csv(path, truth, "utf-8")
    files.append(path)
    return {**counts, "truth_rows": len(truth), "files": [str(f) for f in files]}


def _districts_with_townships(world: World) -> list[str]:
    return list(dict.fromkeys(t.district for t in world.townships))
