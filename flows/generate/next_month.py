"""The month after: the same township one month later, for rehearsing the routine.

`generate_next_month(scale, seed, first_month, out_dir)` rebuilds the first month's
world exactly as `generate()` made it (same people, same IDs, same faults), then lets
a month pass:

  * last month's deaths (DECEASED_PAID): the office stopped part of them — a member who
    was not the 户主, or a one-person household, is off the roster (保障人数 lowered);
    the others are still paid, one month more overpaid;
  * new deaths this month: in the police file, registered late (died last month, first
    in this month's police file), and found only by 火化 (no police record yet);
  * last month's near misses come due: a recipient who died just after last month's end,
    迁出 just after it, and a 渐退 that had run exactly 6 months (now overdue);
  * a baby is born into a roster household and added to it (保障人数 raised).

truth.csv lists every finding expected this month, as for `generate()`, plus rows for
what changed without a finding (rule ROSTER_REMOVED, BIRTH) so the month can be read.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import writers
from .core import build, write_all
from .data_faults import (Ctx, _enrolled_before, amount_for, cremation_record, head_rows, months_between,
                     old_enough_to_die, police_record, take)
from .idnumbers import issue_one
from .people import RECIPIENT
from .render import TRUTH_COLUMNS
from .world import Month, month_start

# Per generated township: new deaths of this month, by how the registries learn of them.
NEW_DEATHS = {"police death this month": 4, "died last month, registered late": 2,
              "cremation record only": 2}
SHARE_STOPPED = 0.6   # of last month's deaths the office took off the roster
BIRTHS = 1


def next_month(month: str) -> str:
    parsed = Month.parse(month)
    return Month(parsed.year + parsed.month // 12, parsed.month % 12 + 1).label


def generate_next_month(scale: str, seed: int, first_month: str, out_dir: Path, until: str | None = None) -> dict:
    """Inputs for the month after `first_month` (or for month `until`, a month at a time) of
    the world generate(scale, seed, first_month) made, under `out_dir`, with truth.csv.
    Returns generate()'s counts."""
    ctx, poverty, _ = build(scale, seed, first_month)
    until = until or next_month(first_month)
    if until <= first_month:
        raise ValueError(f"{until} is not after {first_month}")
    step = 0
    while ctx.month.label < until:
        step += 1
        events = advance(ctx, seed, step)
    # The poverty registry and 临时救助 keep their people; they are rendered afresh.
    poverty_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3,)))
    summary = write_all(ctx, Path(out_dir), population_as_xlsx=(scale == "township"),
                        poverty=poverty, poverty_rng=poverty_rng)
    truth_path = Path(out_dir) / "truth.csv"
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    truth = pd.concat([truth, events.astype(str).replace({"<NA>": ""})], ignore_index=True)
    writers.write_csv(truth_path, truth[TRUTH_COLUMNS], "utf-8")
    return {**summary, "truth_rows": len(truth)}


def advance(ctx: Ctx, seed: int, step: int = 1) -> pd.DataFrame:
    """Move `ctx` one month on (in place); the changes without a finding, as truth rows."""
    first = ctx.month
    ctx.month = Month.parse(next_month(first.label))
    ctx.rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, step)))
    heads = head_rows(ctx)
    truth = []
    for t in ctx.truth:
        t = dict(t)
        if t["rule"] in ("DECEASED_PAID", "DECEASED_SUSPECT") or (
                t["rule"] == "AMBIGUOUS_NAMESAKE" and t["months_overpaid"] is not None):
            t["months_overpaid"] += 1
        elif t["fault"] == "hard negative: recipient died after month end":
            # The death recorded just after last month's end is this month's death.
            t.update(rule="DECEASED_PAID", fault="died early this month (last month's near miss)",
                     months_overpaid=0)
            truth.append({"rule": "HOUSEHOLD_SIZE_CHANGED", "row": int(heads[ctx.roster.at[t["row"], "hh"]]),
                          "fault": "member died (consequence of DECEASED_PAID)", "months_overpaid": None})
        truth.append(t)
    ctx.truth = truth
    _near_misses_due(ctx, first)
    events = _stop_some_deaths(ctx)
    _new_deaths(ctx)
    events = pd.concat([events, _births(ctx)], ignore_index=True)
    return events


def _near_misses_due(ctx: Ctx, first: Month) -> None:
    """迁出 after last month's end, and 渐退 of exactly 6 months, are findings now."""
    p = ctx.people
    moved = p.index[(p["pop_status"] == "迁出") & (p["pop_date"] > pd.Timestamp(first.last_day))
                    & (p["pop_date"] <= pd.Timestamp(ctx.month.last_day))]
    for row in ctx.roster.index[ctx.roster["pid"].isin(moved) & ~ctx.roster["appended"]]:
        ctx.flag("MOVED_OUT", row, "迁出 early this month (last month's near miss)")
    heads = head_rows(ctx)
    for hh in ctx.households.index[ctx.households["exit_month"] == first.index - 6]:
        ctx.flag("GRADUAL_EXIT_OVERDUE", heads[hh], "渐退 reached 7 months this month")


def _stop_some_deaths(ctx: Ctx) -> pd.DataFrame:
    """Take part of last month's confirmed deaths off the roster, as the office would:
    a member who is not the 户主 (the household is reduced), or a one-person household
    (stopped).  Returns ROSTER_REMOVED truth rows; their findings leave the truth."""
    r = ctx.roster
    rows_per_household = r.groupby("hh").size()
    paid = [t for t in ctx.truth if t["rule"] == "DECEASED_PAID" and t["months_overpaid"] >= 1]
    removable = [t["row"] for t in paid
                 if r.at[t["row"], "relation"] != "户主" or rows_per_household[r.at[t["row"], "hh"]] == 1]
    chosen = [row for row in removable if ctx.rng.random() < SHARE_STOPPED]
    events = _truth_rows(ctx, chosen, "ROSTER_REMOVED", "died; taken off the roster after last month's check")
    gone_households = {r.at[row, "hh"] for row in chosen}
    heads = head_rows(ctx)
    consequence = {int(heads[hh]) for hh in gone_households}
    ctx.truth = [t for t in ctx.truth if t["row"] not in chosen
                 and not (t["rule"] == "HOUSEHOLD_SIZE_CHANGED" and t["row"] in consequence
                          and t["fault"].startswith("member died"))]
    ctx.roster = r.drop(index=chosen)
    return events


def _new_deaths(ctx: Ctx) -> None:
    """Recipients who died this month (or last month, registered only now)."""
    heads = head_rows(ctx)
    for label, n in NEW_DEATHS.items():
        for row in take(ctx, n, eligible=old_enough_to_die(ctx), pick="eldest"):
            p = ctx.person(row)
            ago = 1 if "registered late" in label else 0
            start = month_start(ctx.month.index - ago)
            end = month_start(ctx.month.index - ago + 1)
            death = start + np.timedelta64(int(ctx.rng.integers(0, int((end - start).astype(int)))), "D")
            record = police_record(ctx, p, death, id_text=p["id18"], target=p.name)
            if "cremation" in label:
                ctx.records.append(cremation_record(record))
            else:
                ctx.records.append(record)
            _enrolled_before(ctx, row, death)
            ctx.flag("DECEASED_PAID", row, label, months_between(ctx.month.index, death))
            ctx.flag("HOUSEHOLD_SIZE_CHANGED", int(heads[ctx.roster.at[row, "hh"]]),
                     "member died (consequence of DECEASED_PAID)")


def _births(ctx: Ctx) -> pd.DataFrame:
    """A baby born this month into a roster household with a young 户主, added to the
    household on the roster (保障人数 follows) and to the population registry."""
    p, r = ctx.people, ctx.roster
    head_birth = p["birth"].to_numpy()[r["pid"].to_numpy()]
    young = ((head_birth > np.datetime64(ctx.month.last_day) - np.timedelta64(40 * 365, "D"))
             & (head_birth < np.datetime64(ctx.month.last_day) - np.timedelta64(22 * 365, "D")))
    rows = []
    for head_row in take(ctx, BIRTHS, eligible=young, pick="head"):
        head = ctx.person(head_row)
        hh = r.at[head_row, "hh"]
        male = bool(ctx.rng.random() < 0.5)
        donors = p[(p["kind"] != RECIPIENT) & (p["male"] == male) & (p["name"].str.len() == 3)]
        donor = donors.iloc[int(ctx.rng.integers(len(donors)))]
        name = head["name"][0] + donor["name"][1:]
        day = month_start(ctx.month.index) + np.timedelta64(int(ctx.rng.integers(0, 20)), "D")
        district = ctx.world.district(head["district"])
        baby = head.copy()
        baby.update({"name": name, "g1": donor["g1"], "g2": donor["g2"], "male": male,
                     "birth": pd.Timestamp(day), "relation": "子女", "pop_status": "正常", "pop_date": pd.NaT,
                     "death": pd.NaT, "police": False, "cremation": False, "in_population": True,
                     "pop_name": None,
                     "id18": issue_one(ctx.rng, district.code, day, male, ctx.taken_ids)})
        pid = len(p)
        p.loc[pid] = baby
        benefit = ctx.households.at[hh, "benefit"]
        row = int(r.index.max()) + 1
        r.loc[row] = {**{c: None for c in r.columns}, "pid": pid, "hh": hh, "relation": "子女",
                      "amount": amount_for(ctx, benefit), "health": "健康", "appended": False,
                      "id_is_number": False, "birth_stated": pd.NaT}
        rows.append(row)
    ctx.people, ctx.roster = p, r
    return _truth_rows(ctx, rows, "BIRTH", "born this month; added to the household (保障人数 raised)")


def _truth_rows(ctx: Ctx, rows: list[int], rule: str, fault: str) -> pd.DataFrame:
    r = ctx.roster.loc[rows]
    h = ctx.households.loc[r["hh"]]
    p = ctx.people.loc[r["pid"]]
    return pd.DataFrame({
        "rule": rule, "township": h["township"].to_numpy(), "village": h["village"].to_numpy(),
        "household_id": h["household_id"].to_numpy(), "name": p["name"].to_numpy(),
        "id_number": p["id18"].to_numpy(), "months_overpaid": "", "fault": fault}, columns=TRUTH_COLUMNS)

