"""The city scale: ≈ 1,000,000 roster members in ≈ 8,000 villages of 38 districts,
≈ 1,000,000 police death records and ≈ 10,000,000 population rows.

A city is generated district by district, each district exactly as the township and
district scales are (people.py, faults.py, habits.py, namesakes.py, poverty.py on that
district's townships), from a random stream of its own, in worker processes (two by
default, one per core); each district's files are written as soon as it is done, so
memory stays that of one district per worker.  What crosses districts:

  * a death recorded by another district (habits.py): the worker hands the rendered
    rows back and they are appended to that district's death file at the end;
  * chance look-alikes across districts: a death record without a usable ID in one
    district whose birth date and name sound agree with a roster member of another
    district.  Within a district namesakes.py renames such people; across districts the
    files are already written, so the roster member is labelled HARD_NEGATIVE instead
    (a living person the matcher must not send to a house visit) — the class of chance
    agreement issue 18 describes, which only a city's size produces.

Files (registries as CSV, the roster as one workbook per township):
  roster/{乡镇}_低保特困在册人员名册_{YYYY-MM}.xlsx    380 workbooks
  population/{区县}_计生全员人口_{YYYY-MM}.csv         one per district; GB18030, UTF-8 with
                                                     BOM or UTF-8 (by district)
  deaths/{区县}_公安死亡注销人员_{YYYY-MM}.csv          GB18030, one per district
  cremation/{区县}_火化记录_{YYYY-MM}.csv               UTF-8, one per district
  poverty/, assistance/                              per township, as at the other scales
  truth.csv
"""
from __future__ import annotations

import dataclasses
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from flows.normalize.ids import VALID, normalize_id

from . import names, render, writers
from .core import prepare_households, prepare_roster, write_district_registries, write_township_ledgers
from .data_faults import Ctx
from .inject import inject_all
from .namesakes import separate_namesakes, separate_roster_lookalikes
from .poverty import build_poverty
from .world import Month, build_world, district_part

CITY_POPULATION_PER_TOWNSHIP = 26_000  # 10M in 380 townships
CITY_POLICE_ROWS_PER_TOWNSHIP = 2_600  # 1M death records
POPULATION_ENCODINGS = ("gb18030", "utf-8-sig", "utf-8")  # by district, in turn
DECEASED = ("DECEASED_PAID", "DECEASED_SUSPECT")
COUNT_KEYS = ("roster_rows", "deaths_rows", "population_rows", "cremation_rows", "poverty_rows",
              "assistance_rows")


def generate_city(seed: int, month: str, out_dir: Path, workers: int = 2, districts: int | None = None) -> dict:
    """The city's files under out_dir; returns the same counts as `generate`.  `districts`
    keeps only the first N districts (each as in the whole city): ten are ≈ 258k recipients,
    the size at which issue 18's chance agreements are judged."""
    out_dir = Path(out_dir)
    world = build_world("city")
    jobs = [(seed, k, month, str(out_dir)) for k in range(districts or len(world.districts))]
    if workers > 1:
        # spawn: the parent may hold threads (Prefect, a progress sampler); fork would copy them
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_district_job, jobs))
    else:
        parts = [_district_job(job) for job in jobs]

    label = Month.parse(month).label
    counts = {key: sum(part["counts"][key] for part in parts) for key in COUNT_KEYS}
    files = [Path(f) for part in parts for f in part["files"]]
    for part in parts:  # deaths recorded by another district, into that district's files
        for district, police in part["police_elsewhere"].items():
            _append_csv(out_dir / "deaths" / f"{district}_公安死亡注销人员_{label}.csv", police, "gb18030")
            counts["deaths_rows"] += len(police)
        for district, cremation in part["cremation_elsewhere"].items():
            _append_csv(out_dir / "cremation" / f"{district}_火化记录_{label}.csv", cremation, "utf-8")
            counts["cremation_rows"] += len(cremation)

    lookalikes = cross_district_lookalikes([p["records"] for p in parts], [p["roster"] for p in parts])
    truth = pd.concat([p["truth"] for p in parts] + [lookalikes], ignore_index=True)
    truth = truth.sort_values(["township", "household_id", "rule", "name"], kind="stable", ignore_index=True)
    path = out_dir / "truth.csv"
    writers.write_csv(path, truth, "utf-8")
    files.append(path)
    counts["uncovered_vulnerable_truth"] = int((truth["rule"] == "UNCOVERED_VULNERABLE").sum())
    return {**counts, "truth_rows": len(truth), "cross_district_lookalikes": len(lookalikes),
            "files": [str(f) for f in files]}


def _append_csv(path: Path, frame: pd.DataFrame, encoding: str) -> None:
    header = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, mode="a", header=header, index=False, encoding=encoding, lineterminator="\r\n")


def _district_job(job: tuple[int, int, str, str]) -> dict:
    seed, k, month, out_dir = job
    return generate_district_part(seed, k, month, Path(out_dir))


def generate_district_part(seed: int, k: int, month: str, out_dir: Path) -> dict:
    """District k of the city, generated and written; returns counts, truth, the rows
    held by other districts and the keys the cross-district pass needs."""
    from .people import build_people

    city = build_world("city")
    district = city.districts[k].name
    world = district_part(city, district)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, k)))
    run_month = Month.parse(month)
    people, households = build_people(rng, world, run_month, CITY_POPULATION_PER_TOWNSHIP,
                                      CITY_POLICE_ROWS_PER_TOWNSHIP)
    ctx = Ctx(rng=rng, month=run_month, world=world, people=people,
              households=prepare_households(rng, households, run_month),
              roster=prepare_roster(rng, people, households), taken_ids=set(people["id18"]))
    separate_roster_lookalikes(ctx)
    inject_all(ctx)
    separate_namesakes(ctx)
    poverty_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, k)))
    poverty = build_poverty(poverty_rng, ctx)
    result = _write_district(ctx, out_dir, district, POPULATION_ENCODINGS[k % len(POPULATION_ENCODINGS)],
                             poverty, poverty_rng)
    result["truth"] = render.truth_frame(ctx, poverty)
    result["records"] = _record_keys(ctx, k)
    result["roster"] = _roster_keys(ctx, k)
    return result


def _write_district(ctx: Ctx, out_dir: Path, district: str, population_encoding: str, poverty,
                    poverty_rng: np.random.Generator) -> dict:
    label = ctx.month.label
    counts = dict.fromkeys(COUNT_KEYS, 0)
    files: list[Path] = []
    roster = render.roster_frame(ctx)
    populations = render.population_frames(ctx)
    population_path = out_dir / "population" / f"{district}_计生全员人口_{label}.csv"
    population_path.unlink(missing_ok=True)
    for t_i, town in enumerate(ctx.world.townships):
        path = out_dir / "roster" / f"{town.name}_低保特困在册人员名册_{label}.xlsx"
        mine = roster[roster["乡镇（街道）"] == town.name]
        writers.write_roster_xlsx_fast(path, mine, town.name, town.district, ctx.month.report_day)
        counts["roster_rows"] += len(mine)
        files.append(path)
        population = populations[t_i]  # the district's file written a township at a time
        _append_csv(population_path, population, population_encoding)
        counts["population_rows"] += len(population)
    files.append(population_path)

    write_district_registries(ctx, district, out_dir, counts, files)   # other districts' rows appended later
    # Records held by other districts: only fault records (no clean person of this
    # district is elsewhere), so render them without scanning everyone again.
    elsewhere = sorted({rec["district"] for rec in ctx.records} - {district})
    faults_only = dataclasses.replace(ctx, people=ctx.people.iloc[:0])  # same random stream
    police_elsewhere = {d: render.police_frame(faults_only, d) for d in elsewhere}
    cremation_elsewhere = {d: frame for d in elsewhere
                           if len(frame := render.cremation_frame(faults_only, d))}

    write_township_ledgers(ctx, out_dir, poverty, poverty_rng, counts, files)
    return {"counts": counts, "files": [str(f) for f in files], "police_elsewhere": police_elsewhere,
            "cremation_elsewhere": cremation_elsewhere}


# --- chance look-alikes across districts ------------------------------------------

def _record_keys(ctx: Ctx, k: int) -> pd.DataFrame:
    """Police records of district k's faults that carry no usable ID (their IDs cannot
    tell them from a stranger): birth date and name sound."""
    rows = []
    for rec in ctx.records:
        if rec["source"] != "police" or normalize_id(rec["id_text"] or "").status == VALID:
            continue
        sur_key, giv_key = names.sound_keys_of(rec["name"])
        rows.append((pd.Timestamp(rec["birth"]), sur_key, giv_key))
    frame = pd.DataFrame(rows, columns=["birth", "sur_key", "giv_key"])
    frame["part"] = k
    return frame.drop_duplicates()


def _roster_keys(ctx: Ctx, k: int) -> pd.DataFrame:
    """Every roster row of district k, by birth date (true and as stated) and name
    sound, with what a truth row needs; `dead` rows are deaths in truth already."""
    r, p, h = ctx.roster, ctx.people, ctx.households
    pid, hh = r["pid"].to_numpy(), r["hh"].to_numpy()
    dead_rows = {t["row"] for t in ctx.truth if t["rule"] in DECEASED}
    invalid = r["id_raw"].notna().to_numpy()
    base = pd.DataFrame({
        "township": h["township"].to_numpy()[hh], "village": h["village"].to_numpy()[hh],
        "household_id": h["household_id"].to_numpy()[hh],
        "name": np.where(r["name_text"].notna(), r["name_text"], p["name"].to_numpy()[pid]).astype(object),
        "id_number": np.where(invalid, "", p["id18"].to_numpy()[pid]).astype(object),
        "sur_key": p["sur_key"].to_numpy()[pid], "giv_key": p["giv_key"].to_numpy()[pid],
        "birth": pd.to_datetime(p["birth"].to_numpy()[pid]),
        "dead": r.index.isin(list(dead_rows))})
    stated = base[r["birth_stated"].notna().to_numpy()].assign(
        birth=pd.to_datetime(r.loc[r["birth_stated"].notna(), "birth_stated"].to_numpy()))
    out = pd.concat([base, stated], ignore_index=True)
    out = out[~out["dead"]].drop(columns="dead")
    out["birth"] = out["birth"].dt.normalize()
    out["part"] = k
    return out


def _share_a_syllable(a: pd.Series, b: pd.Series) -> np.ndarray:
    return np.array([bool(set(x.split()) & set(y.split())) for x, y in zip(a, b)], dtype=bool)


def cross_district_lookalikes(records: list[pd.DataFrame], rosters: list[pd.DataFrame]) -> pd.DataFrame:
    """HARD_NEGATIVE truth rows for roster members of one district that a death record
    without a usable ID in another district resembles: the same birth date and the same
    surname sound with a given syllable in common, or the same given-name sound."""
    records = pd.concat(records, ignore_index=True)
    roster = pd.concat(rosters, ignore_index=True)
    records["birth"] = pd.to_datetime(records["birth"]).dt.normalize()
    by_surname = records.merge(roster, on=["birth", "sur_key"], suffixes=("_rec", ""))
    by_surname = by_surname[_share_a_syllable(by_surname["giv_key_rec"], by_surname["giv_key"])]
    by_given = records.merge(roster, on=["birth", "giv_key"], suffixes=("_rec", ""))
    pairs = pd.concat([
        by_surname.assign(same_sound=by_surname["giv_key_rec"] == by_surname["giv_key"]),
        by_given.assign(same_sound=by_given["sur_key_rec"] == by_given["sur_key"])], ignore_index=True)
    pairs = pairs[pairs["part_rec"] != pairs["part"]]
    pairs["fault"] = np.where(
        pairs["same_sound"],
        "hard negative: another district's death record without a usable id, same name sound and birth date",
        "hard negative: another district's death record without a usable id, similar name, same birth date")
    # one row per member; the stronger resemblance wins
    pairs = pairs.sort_values("same_sound", ascending=False, kind="stable")
    pairs = pairs.drop_duplicates(["household_id", "name"])
    return pd.DataFrame({
        "rule": "HARD_NEGATIVE", "township": pairs["township"].to_numpy(),
        "village": pairs["village"].to_numpy(), "household_id": pairs["household_id"].to_numpy(),
        "name": pairs["name"].to_numpy(), "id_number": pairs["id_number"].to_numpy(),
        "months_overpaid": pd.array([None] * len(pairs), dtype="Int64"),
        "fault": pairs["fault"].to_numpy()}, columns=render.TRUTH_COLUMNS)
