"""generate(): build the world, inject the faults, write the files and truth.csv."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import render, writers
from .data_faults import AMOUNT_RANGES, FIRST_ENROLMENT, Ctx
from .inject import inject_all
from .namesakes import separate_namesakes, separate_roster_lookalikes
from .people import RECIPIENT, build_people, phones
from .poverty import Poverty, build_poverty
from .world import Month, World, build_world

HEALTH = np.array(["健康", "慢性病", "重病", "残疾"], dtype=object)
HEALTH_P = {"低保": [0.58, 0.27, 0.07, 0.08], "特困供养": [0.25, 0.45, 0.12, 0.18]}


def generate_in_one(scale: str, seed: int, month: str, out_dir: Path) -> dict:
    """A township or district in this process (flows/generate/__init__.generate says what is written)."""
    out_dir = Path(out_dir)
    ctx, poverty, poverty_rng = build(scale, seed, month)
    return write_all(ctx, out_dir, population_as_xlsx=(scale == "township"),
                     poverty=poverty, poverty_rng=poverty_rng)


def build(scale: str, seed: int, month: str) -> tuple[Ctx, Poverty, np.random.Generator]:
    """The world of run month `month` with its faults injected and its poverty registry:
    what generate() writes, and what next_month.py carries into the following month."""
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
    # The poverty registry has a random stream of its own, so the other files stay as
    # they were for the seed (unless two UNCOVERED_VULNERABLE people shared a name and
    # one was renamed, which shows in the population file).
    poverty_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    poverty = build_poverty(poverty_rng, ctx)
    return ctx, poverty, poverty_rng


def prepare_households(rng: np.random.Generator, households: pd.DataFrame, month: Month) -> pd.DataFrame:
    """Household-level roster fields that faults may change: 纳入年月, 渐退, 保障人数 offset."""
    n = len(households)
    return households.assign(
        enrolled=rng.integers(FIRST_ENROLMENT, max(month.index, FIRST_ENROLMENT) + 1, n),
        exit_month=-1, size_delta=0,
        month_style=np.where(rng.random(n) < 0.3, "chinese", "iso"),
        phone=phones(rng, n),
        priority=rng.permutation(n),  # the order in which faults claim households
        used=False)


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


def write_all(ctx: Ctx, out_dir: Path, population_as_xlsx: bool, poverty: Poverty,
              poverty_rng: np.random.Generator) -> dict:
    """Roster, population, poverty registry and temporary assistance per township,
    deaths and cremation per district, truth."""
    label = ctx.month.label
    counts = {"roster_rows": 0, "deaths_rows": 0, "population_rows": 0, "cremation_rows": 0,
              "poverty_rows": 0, "assistance_rows": 0}
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
        write_district_registries(ctx, district, out_dir, counts, files)
    # Rendered last, from their own stream, so the files above do not change.
    write_township_ledgers(ctx, out_dir, poverty, poverty_rng, counts, files)

    truth = render.truth_frame(ctx, poverty)
    path = out_dir / "truth.csv"
    writers.write_csv(path, truth, "utf-8")
    files.append(path)
    counts["uncovered_vulnerable_truth"] = int((truth["rule"] == "UNCOVERED_VULNERABLE").sum())
    return {**counts, "truth_rows": len(truth), "files": [str(f) for f in files]}


def write_district_registries(ctx: Ctx, district: str, out_dir: Path, counts: dict, files: list) -> None:
    """The district's police deaths (GB18030) and cremation (UTF-8) files."""
    label = ctx.month.label
    for frame, folder, title, encoding, count in (
            (render.police_frame(ctx, district), "deaths", "公安死亡注销人员", "gb18030", "deaths_rows"),
            (render.cremation_frame(ctx, district), "cremation", "火化记录", "utf-8", "cremation_rows")):
        path = out_dir / folder / f"{district}_{title}_{label}.csv"
        writers.write_csv(path, frame, encoding)
        counts[count] += len(frame)
        files.append(path)


def write_township_ledgers(ctx: Ctx, out_dir: Path, poverty: Poverty, poverty_rng: np.random.Generator,
                           counts: dict, files: list) -> None:
    """Each township's poverty registry (xlsx) and temporary assistance list (CSV)."""
    label = ctx.month.label
    registries = render.poverty_frames(poverty_rng, ctx, poverty)
    assistance = render.assistance_frames(poverty_rng, ctx, poverty)
    for t_i, town in enumerate(ctx.world.townships):
        ledger = registries.get(t_i, pd.DataFrame(columns=render.POVERTY_COLUMNS))
        path = out_dir / "poverty" / f"{town.name}_建档立卡边缘户监测户名单_{label}.xlsx"
        writers.write_poverty_xlsx(path, ledger, town.name, town.district, ctx.month.report_day)
        counts["poverty_rows"] += len(ledger)
        files.append(path)

        paid = assistance.get(t_i, pd.DataFrame(columns=render.ASSISTANCE_COLUMNS))
        path = out_dir / "assistance" / f"{town.name}_临时救助发放名单_{label}.csv"
        writers.write_csv(path, paid, "utf-8-sig")
        counts["assistance_rows"] += len(paid)
        files.append(path)


def _districts_with_townships(world: World) -> list[str]:
    return list(dict.fromkeys(t.district for t in world.townships))
