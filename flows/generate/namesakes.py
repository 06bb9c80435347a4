"""Keep accidental near-namesakes out of the data, so truth.csv is the whole truth.

With a million random names, some dead stranger will share a birth date and a surname
(or a given name, or their sound) with a living recipient.  A fuzzy matcher would
rightly call that a suspect death, but nobody injected it.  After the faults are in,
every such pair is broken by renaming the side nobody depends on:
  * a clean dead resident or stranger is renamed;
  * a clean roster member who happens to look like an *injected* death record
    (someone else's typo'd record, a namesake) is renamed;
  * two clean roster members with the same name and birth date: one is renamed.
People that faults depend on ("pinned") are never renamed; so that two pinned people
never look alike, roster members are first separated from each other, before faults.

"Looks like" = same birth date (true or as the roster states it) and the same
given-name sound, or the same surname sound and a given-name syllable in common
(toneless pinyin).  That is broader than any positive level of the matcher (a given
name the same, homophone or one character off), so nothing unintended survives; a
shared surname alone is not: with 15 % of older people registered on 1 January a
district holds thousands of same-day, same-surname strangers, as real registries do,
and a given name wholly different counts against a match.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from . import names
from .data_faults import Ctx
from .idnumbers import issue_one
from .people import RECIPIENT, rename

MAX_ROUNDS = 100
# On a crowded birth date (1 January among the old) the roster's people may cover almost
# every surname sound, so a dead stranger can stay a look-alike however often renamed
# (district seed 1 needed 31 rounds, a city district more than 100).  After this many
# rounds such a clean dead person is registered a few days earlier instead (a township
# converges well before, so its files do not change).
MOVE_AFTER_ROUNDS = 30
log = logging.getLogger(__name__)


def separate_namesakes(ctx: Ctx) -> int:
    """Rename until no unintended look-alike pairs remain; returns how many pairs
    could not be broken because both sides are pinned (rare: about one per city)."""
    fixed_side = _fixed_death_side(ctx)  # faults' records and pinned people: never renamed
    for round_ in range(MAX_ROUNDS):
        roster = _roster_side(ctx)
        clean = set(_pairs(_clean_death_side(ctx), roster)["who"])
        fixed_pairs = _pairs(fixed_side, roster)
        fixed_pairs = fixed_pairs[fixed_pairs["who"] != fixed_pairs["pid"]]
        renamable = ~fixed_pairs["pid"].isin(ctx.pinned)
        to_rename = clean | set(fixed_pairs.loc[renamable, "pid"]) | _roster_twins(roster, ctx.pinned)
        if not to_rename:
            stuck = int((~renamable).sum())
            if stuck:
                log.info("%d look-alike pair(s) between faulted members left in place", stuck)
            return stuck
        if round_ >= MOVE_AFTER_ROUNDS and clean:
            _move_birth_dates(ctx, sorted(clean))
            to_rename -= clean
        if to_rename:
            _rename(ctx, np.array(sorted(to_rename)))
    raise RuntimeError("namesakes did not separate")


def _roster_side(ctx: Ctx) -> pd.DataFrame:
    """Roster people by birth date as true and as stated on the roster."""
    r, p = ctx.roster, ctx.people
    pid = r["pid"].to_numpy()
    true = pd.DataFrame({"pid": pid, "birth": p["birth"].to_numpy()[pid]})
    stated = r.loc[r["birth_stated"].notna(), ["pid", "birth_stated"]].rename(
        columns={"birth_stated": "birth"})
    side = pd.concat([true, stated], ignore_index=True).drop_duplicates()
    side["birth"] = pd.to_datetime(side["birth"]).dt.normalize()
    at = side["pid"].to_numpy()  # take first: converting a whole string column is slow
    side["sur_key"] = p["sur_key"].iloc[at].to_numpy()
    side["giv_key"] = p["giv_key"].iloc[at].to_numpy()
    side["name"] = p["name"].iloc[at].to_numpy()
    return side


def _clean_death_side(ctx: Ctx) -> pd.DataFrame:
    p = ctx.people
    dead = (p["police"] | p["cremation"] | (p["pop_status"] == "死亡")) & (p["kind"] != RECIPIENT)
    dead &= ~p.index.isin(list(ctx.pinned))
    side = p.loc[dead, ["birth", "sur_key", "giv_key"]].copy()
    side["who"] = side.index
    return side


def _fixed_death_side(ctx: Ctx) -> pd.DataFrame:
    """Death evidence that faults put there: records, and recipients marked 死亡."""
    rows = []
    for rec in ctx.records:
        sur_key, giv_key = names.sound_keys_of(rec["name"])
        rows.append((rec["target"], pd.Timestamp(rec["birth"]), sur_key, giv_key))
    p = ctx.people
    dead_recipients = p[(p["kind"] == RECIPIENT) & (p["pop_status"] == "死亡")]
    for pid, row in dead_recipients.iterrows():  # a few dozen per township
        rows.append((pid, row["birth"], row["sur_key"], row["giv_key"]))
    return pd.DataFrame(rows, columns=["who", "birth", "sur_key", "giv_key"])


def _with_given_syllables(side: pd.DataFrame) -> pd.DataFrame:
    """One row per given-name syllable (column `syllable`), for the surname+syllable key."""
    parts = side["giv_key"].fillna("").str.split(" ", n=1, expand=True).reindex(columns=[0, 1]).fillna("")
    long = pd.concat([side.assign(syllable=parts[0]), side.assign(syllable=parts[1])])
    return long[long["syllable"] != ""]


def _look_alikes(left: pd.DataFrame, right: pd.DataFrame, left_id: str, right_id: str) -> pd.DataFrame:
    """(left_id, right_id) pairs with one birth date and the same given-name sound, or the
    same surname sound and a given-name syllable in common (in any position)."""
    same_given = left[[left_id, "birth", "giv_key"]].merge(right[[right_id, "birth", "giv_key"]],
                                                           on=["birth", "giv_key"])
    keys = ["birth", "sur_key", "syllable"]
    shared_syllable = _with_given_syllables(left)[[left_id, *keys]].merge(
        _with_given_syllables(right)[[right_id, *keys]], on=keys)
    return pd.concat([same_given[[left_id, right_id]], shared_syllable[[left_id, right_id]]])


def _pairs(deaths: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """(who, pid) pairs sharing a birth date and look-alike names."""
    if deaths.empty:
        return pd.DataFrame(columns=["who", "pid"])
    deaths = deaths.assign(birth=pd.to_datetime(deaths["birth"]).dt.normalize())
    return _look_alikes(deaths, roster, "who", "pid")[["who", "pid"]].drop_duplicates()


def _roster_twins(roster: pd.DataFrame, pinned: set[int]) -> set[int]:
    """Distinct roster people with the same name and birth date: rename all but one."""
    twins = roster.drop_duplicates(["pid", "birth"])
    twins = twins[twins.duplicated(["name", "birth"], keep=False)]
    twins = twins.assign(pinned=twins["pid"].isin(pinned)).sort_values(["pinned", "pid"])
    keep = twins.drop_duplicates(["name", "birth"], keep="last")
    return set(twins.loc[~twins.index.isin(keep.index) & ~twins["pinned"], "pid"])


def _move_birth_dates(ctx: Ctx, pids: list[int]) -> None:
    """Clean dead people (a handful) registered 1-27 days earlier, with an ID issued for
    that day in the same region (earlier, so a death date stays after the birth)."""
    p = ctx.people
    for pid in pids:
        birth = np.datetime64(p.at[pid, "birth"], "D") - np.timedelta64(int(ctx.rng.integers(1, 28)), "D")
        p.at[pid, "birth"] = pd.Timestamp(birth)
        p.at[pid, "id18"] = issue_one(ctx.rng, p.at[pid, "id18"][:6], birth, bool(p.at[pid, "male"]),
                                      ctx.taken_ids)


def _rename(ctx: Ctx, pids: np.ndarray) -> None:
    ctx.people = rename(ctx.rng, ctx.people, ctx.people.index.isin(pids))


def separate_roster_lookalikes(ctx: Ctx) -> None:
    """Before any fault: no two roster members share a birth date and a surname or
    given-name sound.  A fault's death record is then like its own member only, and
    two faulted (hence unrenamable) members can never be mistaken for each other."""
    for _ in range(MAX_ROUNDS):
        side = _roster_side(ctx)
        pairs = _look_alikes(side.rename(columns={"pid": "pid_x"}), side.rename(columns={"pid": "pid_y"}),
                             "pid_x", "pid_y")
        later = pairs.loc[pairs["pid_x"] < pairs["pid_y"], "pid_y"].unique()
        if len(later) == 0:
            return
        _rename(ctx, later)
    raise RuntimeError("roster look-alikes did not separate")
