"""Faults injected into the clean synthetic world, each labelled in truth.csv.

Every fault gets a household of its own (drawn once from a per-township random order),
so faults never interact, with one intended exception: a household whose member died
while still paid (DECEASED_PAID) is also HOUSEHOLD_SIZE_CHANGED.  Counts are per
township (`PER_TOWNSHIP`) and scale with the number of townships.

Faults are applied to three tables held by `Ctx`:
  people      — everyone: name, ID, population status (人员状态/变动日期), overrides;
  households  — roster households: 纳入年月, 渐退起始年月, a 保障人数 offset, …;
  roster      — roster rows: which person, which household, and what the row *says*
                when that differs from the truth (ID text, sex, birth date, amount).
Death records that do not belong to a person's own clean record (a typed-wrong ID, a
namesake's death) are collected in `Ctx.records`.

Loops here run over faults (a few hundred per township), never over the population.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flows.normalize.ids import VALID, normalize_id, region_codes

from . import names
from .idnumbers import (adjacent_transposition, hamming, issue_one, one_digit_typo,
                        with_check_digit, written_id)
from .world import VILLAGE_POOL, Month, World, month_start, police_station

# Per generated township: (rule, fault label, how many).
PER_TOWNSHIP: dict[str, tuple[tuple[str, int], ...]] = {
    "DECEASED_PAID": (
        ("police death", 10),
        ("police id lowercase x", 2),
        ("population 死亡 only", 8),
        ("police death + population 死亡", 8),
        ("police death + cremation", 6),
        ("police and population death dates conflict", 6),
    ),
    "DECEASED_SUSPECT": (
        ("police id one digit typed wrong, same name", 5),
        ("police id adjacent digits transposed, homophone name", 5),
        ("police record without id, same name and birth date", 4),
        ("police record with Excel-mangled id, same name and birth date", 3),
        ("police record with invalid id, homophone name, same birth date", 3),
        ("police record without id, one-character name typo, same birth date", 2),
        ("homophone name, same birth date, police id one digit off", 3),
    ),
    "HARD_NEGATIVE": (
        ("hard negative: namesake with another birth date died", 5),
        ("hard negative: namesake with same birth date died in another town", 5),
        ("hard negative: recipient died after month end", 5),
    ),
    "INVALID_ID": (
        ("invalid id: bad check digit", 5),
        ("invalid id: 17 characters", 3),
        ("invalid id: 19 characters", 2),
        ("invalid id: impossible birth date", 3),
        ("invalid id: unknown region code", 3),
        ("invalid id: Excel turned it into a number", 4),
    ),
    "ID_NAME_MISMATCH": (
        ("population name differs by one character", 5),
        ("population name is a homophone", 5),
        ("population has another person's name", 5),
    ),
    "ID_ATTR_MISMATCH": (
        ("roster sex differs from id", 7),
        ("roster birth date differs from id", 8),
    ),
    "DUPLICATE_BENEFIT": (
        ("also in another household of the same village", 3),
        ("also in a household of another village", 4),
        ("in a 低保 household and a 特困 household", 3),
    ),
    "NOT_IN_REGISTRY": (("no population record", 15),),
    "MOVED_OUT": (("population 迁出 before month end", 10),),
    "HOUSEHOLD_SIZE_CHANGED": (("保障人数 differs from roster members", 15),),
    "GRADUAL_EXIT_OVERDUE": (("渐退 started more than 6 months ago", 10),),
    "REJECT": (
        ("malformed row: 个人月保障金额 is 三百", 1),
        ("malformed row: 出生日期 is 不详", 1),
        ("malformed row: 姓名 empty", 1),
    ),
}
# Deaths that the ID cannot settle (issue 29), injected after every other fault so that the
# faults above draw the same random numbers as before:
#   * the roster's 出生日期 disagrees with the ID (ID_ATTR_MISMATCH) and a police record
#     without an ID follows the roster's date: DECEASED_SUSPECT on the roster's date;
#   * two living namesakes of one village born the same day, and a police record without
#     an ID names one of them: both are AMBIGUOUS_NAMESAKE (a truth category, not a rule),
#     each to be flagged DECEASED_SUSPECT at a probability <= 0.5, never DECEASED_PAID.
UNSETTLED_DEATHS_PER_TOWNSHIP: dict[str, tuple[tuple[str, int], ...]] = {
    "DECEASED_SUSPECT": (("police record without id follows the roster's wrong 出生日期", 2),),
    "AMBIGUOUS_NAMESAKE": (("namesakes of one village born the same day; police record without id", 2),),
}
NEAR_MISSES_PER_TOWNSHIP = {"moved_out_after_month_end": 3, "gradual_exit_exactly_6_months": 2,
                            "gradual_exit_recent": 2}
MAX_DEATH_MONTHS_AGO = 18
FIRST_ENROLMENT = 2014 * 12  # 纳入年月 2014-01 as a month index


@dataclass
class Ctx:
    rng: np.random.Generator
    month: Month
    world: World
    people: pd.DataFrame  # index = pid
    households: pd.DataFrame  # index = hh = row position (take() indexes by position)
    roster: pd.DataFrame  # index = roster row
    taken_ids: set[str]
    records: list[dict] = field(default_factory=list)  # fault death records
    truth: list[dict] = field(default_factory=list)  # rule, row, fault, months_overpaid
    pinned: set[int] = field(default_factory=set)  # pids whose names faults depend on

    @property
    def month_end(self) -> np.datetime64:
        return np.datetime64(self.month.last_day, "D")

    def flag(self, rule: str, row: int, fault: str, months: int | None = None) -> None:
        self.truth.append({"rule": rule, "row": int(row), "fault": fault, "months_overpaid": months})

    def person(self, row: int) -> pd.Series:
        return self.people.loc[self.roster.at[row, "pid"]]


# --- choosing where faults go ------------------------------------------------------

def take(ctx: Ctx, per_town: int, eligible: np.ndarray | None = None, pick: str = "random",
         exclude_benefit: str | None = None) -> np.ndarray:
    """Roster rows for `per_town` unused households in each township, one member each.
    pick: 'random' member, 'eldest' member (deaths), or 'head' (household-level faults).
    `eligible` (bool per roster row) limits which members may be chosen."""
    r, h = ctx.roster, ctx.households
    hh = r["hh"].to_numpy()
    ok = ~h["used"].to_numpy()[hh] & ~r["appended"].to_numpy()
    if eligible is not None:
        ok &= eligible
    if pick == "head":
        ok &= (r["relation"] == "户主").to_numpy()
    if exclude_benefit is not None:
        ok &= (h["benefit"].to_numpy()[hh] != exclude_benefit)
    cand = pd.DataFrame({"row": r.index[ok], "hh": hh[ok],
                         "town": h["township_i"].to_numpy()[hh[ok]],
                         "priority": h["priority"].to_numpy()[hh[ok]]})
    if pick == "eldest":
        cand["member_key"] = ctx.people["birth"].to_numpy()[r["pid"].to_numpy()[ok]].astype(np.int64)
    else:
        cand["member_key"] = ctx.rng.random(len(cand))
    cand = cand.sort_values(["town", "priority", "member_key"]).drop_duplicates("hh")
    chosen = cand.groupby("town").head(per_town)
    ctx.households.loc[chosen["hh"].to_numpy(), "used"] = True
    ctx.pinned.update(r.loc[chosen["row"], "pid"].tolist())
    return chosen["row"].to_numpy()


def _roster_parts(ctx: Ctx) -> dict[str, np.ndarray]:
    pids = ctx.roster["pid"].to_numpy()
    return {k: ctx.people[k].to_numpy()[pids] for k in ("sur_i", "g1", "g2", "minority_i")}


def homophone_eligible(ctx: Ctx) -> np.ndarray:
    parts = _roster_parts(ctx)
    return names.has_homophone_parts(parts)


def old_enough_to_die(ctx: Ctx) -> np.ndarray:
    """Members aged 45+ at month end: recipients who die are mostly elderly."""
    birth = ctx.people["birth"].to_numpy()[ctx.roster["pid"].to_numpy()]
    return birth <= np.datetime64(ctx.month.last_day) - np.timedelta64(45 * 365, "D")


def id_ends_in_x(ctx: Ctx) -> np.ndarray:
    """Members whose ID's check digit is X."""
    return ctx.people["id18"].str.endswith("X").to_numpy()[ctx.roster["pid"].to_numpy()]


def three_char_eligible(ctx: Ctx) -> np.ndarray:
    parts = _roster_parts(ctx)
    return (parts["g2"] >= 0) & (parts["minority_i"] < 0)


# --- dates -------------------------------------------------------------------------

def death_in_month(ctx: Ctx, months_ago: int) -> np.datetime64:
    """A random day of month M - months_ago (on or before the last day of M)."""
    start = month_start(ctx.month.index - months_ago)
    end = month_start(ctx.month.index - months_ago + 1)
    return start + np.timedelta64(int(ctx.rng.integers(0, int((end - start).astype(int)))), "D")


def month_of(day) -> int:
    d = pd.Timestamp(day)
    return d.year * 12 + d.month - 1


def months_between(later_month_index: int, day) -> int:
    """Months after the death month up to and including M (0 if the death is in M)."""
    return later_month_index - month_of(day)


# --- death records -----------------------------------------------------------------

def police_record(ctx: Ctx, person: pd.Series, death: np.datetime64, *, name: str | None = None,
                  id_text: str | None = None, town: str | None = None, village: str | None = None,
                  birth=None, target: int) -> dict:
    district = ctx.world.district(person["district"])
    town = town or person["township"]
    return {"source": "police", "district": district.name,
            "name": person["name"] if name is None else name,
            "id_text": person["id18"] if id_text is None else id_text,
            "male": bool(person["male"]),
            "birth": np.datetime64(person["birth"] if birth is None else birth, "D"),
            "death": np.datetime64(death, "D"),
            "address": person["address"] if village is None else f"重庆市{district.name}{town}{village}",
            "station": police_station(district.name, town),
            "target": int(person.name)}


def cremation_record(record: dict) -> dict:
    return {**record, "source": "cremation"}


def police_id_style(ctx: Ctx, id18: str) -> tuple[str, str]:
    """How the police file writes a recipient's own ID (all normalise back to it)."""
    options = ["plain", "plain"]
    if id18.endswith("X"):
        options.append("lower_x")
    if id18[6:8] == "19":
        options.append("legacy15")
    options.append("full_width")
    style = options[int(ctx.rng.integers(len(options)))]
    label = {"plain": "", "lower_x": ", id lowercase x", "legacy15": ", id 15-digit",
             "full_width": ", id full-width"}[style]
    return written_id(id18, style), label


def mark_population_death(ctx: Ctx, pid: int, day: np.datetime64) -> None:
    ctx.people.at[pid, "pop_status"] = "死亡"
    ctx.people.at[pid, "pop_date"] = pd.Timestamp(day)


# --- the rules -----------------------------------------------------------------------

def deceased_paid(ctx: Ctx) -> list[int]:
    """Recipients whose exact ID has a death record on or before month end."""
    deceased_rows = []
    old = old_enough_to_die(ctx)
    x_ok = old & id_ends_in_x(ctx)
    for label, n in PER_TOWNSHIP["DECEASED_PAID"]:
        # "police id lowercase x": only members whose check digit is X (none: skipped)
        lower_x = "lowercase x" in label
        for row in take(ctx, n, eligible=x_ok if lower_x else old, pick="eldest"):
            p = ctx.person(row)
            ago = int(ctx.rng.integers(0, MAX_DEATH_MONTHS_AGO + 1))
            death = death_in_month(ctx, ago)
            fault = label
            if "police" in label:
                if lower_x:
                    id_text = written_id(p["id18"], "lower_x")
                else:
                    id_text, style = police_id_style(ctx, p["id18"])
                    fault += style
                police_death = death
                if "conflict" in label:
                    police_death, pop_death = _conflicting_dates(ctx, death)
                    mark_population_death(ctx, p.name, pop_death)
                    death = min(police_death, pop_death)  # the rule takes the earliest
                record = police_record(ctx, p, police_death, id_text=id_text, target=p.name)
                ctx.records.append(record)
                if "cremation" in label:
                    ctx.records.append(cremation_record({**record, "id_text": p["id18"]}))
            if "population" in label and "conflict" not in label:
                mark_population_death(ctx, p.name, death)
            _enrolled_before(ctx, row, death)
            ctx.flag("DECEASED_PAID", row, fault, months_between(ctx.month.index, death))
            deceased_rows.append(row)
    return deceased_rows


def _conflicting_dates(ctx: Ctx, death: np.datetime64) -> tuple[np.datetime64, np.datetime64]:
    """(police date, population date) 10-60 days apart, both on or before month end;
    either source may hold the earlier one."""
    gap = np.timedelta64(int(ctx.rng.integers(10, 60)), "D")
    other = death + gap if death + gap <= ctx.month_end else death - gap
    return (death, other) if ctx.rng.random() < 0.5 else (other, death)


def _enrolled_before(ctx: Ctx, row: int, death: np.datetime64) -> None:
    """A household is enrolled before its member died."""
    hh = ctx.roster.at[row, "hh"]
    latest = month_of(death) - 1
    if ctx.households.at[hh, "enrolled"] > latest:
        ctx.households.at[hh, "enrolled"] = max(FIRST_ENROLMENT, latest - int(ctx.rng.integers(0, 24)))


def deceased_suspect(ctx: Ctx) -> None:
    """Deaths of the same person recorded without the exact roster ID."""
    old = old_enough_to_die(ctx)
    homophone_ok = homophone_eligible(ctx) & old
    typo_ok = three_char_eligible(ctx) & old
    excel_ok = old & ~id_ends_in_x(ctx)  # an ID ending in X stays text in Excel
    for label, n in PER_TOWNSHIP["DECEASED_SUSPECT"]:
        eligible = (homophone_ok if "homophone" in label else typo_ok if "typo" in label
                    else excel_ok if "Excel" in label else old)
        for row in take(ctx, n, eligible=eligible, pick="eldest"):
            p = ctx.person(row)
            ago = int(ctx.rng.integers(0, MAX_DEATH_MONTHS_AGO + 1))
            death = death_in_month(ctx, ago)
            name = p["name"]
            if "homophone" in label:
                name = names.homophone_variant(name, ctx.rng)
            elif "typo" in label:
                name = names.typo_variant(name, ctx.rng)
            if "transposed" in label:
                id_text = _unused(ctx, lambda: adjacent_transposition(p["id18"], ctx.rng))
            elif "one digit" in label:
                id_text = _unused(ctx, lambda: one_digit_typo(p["id18"], ctx.rng))
            elif "without id" in label:
                id_text = ""
            elif "Excel" in label:
                id_text = excel_mangled_id(ctx, p["id18"])
            else:  # an ID nobody could use: unknown, or cut short
                id_text = "不详" if ctx.rng.random() < 0.5 else p["id18"][:16]
            ctx.records.append(police_record(ctx, p, death, name=name, id_text=id_text, target=p.name))
            _enrolled_before(ctx, row, death)
            ctx.flag("DECEASED_SUSPECT", row, label, months_between(ctx.month.index, death))


def excel_mangled_id(ctx: Ctx, id18: str) -> str:
    """The ID as Excel writes it once it has become a number (15 significant digits
    kept): General format `5.00228E+17`, or in a number format the 18 digits with the
    last three replaced by 000 (chosen per record).  Either is *corrupted*, never a
    valid ID.  The 000 form is 18 digits long, so it must not be one digit or one swap
    away from anyone else's ID (an ID-typo matcher would link them); when it would be,
    or when it would pass as a valid ID, the record is written in scientific notation.
    No cremation record is written for these deaths, so no source carries the exact ID."""
    zeros = id18[:15] + "000"
    scientific = f"{float(zeros):.5E}"  # 500228199001011000 -> 5.00228E+17
    if ctx.rng.random() < 0.5:
        return scientific
    if normalize_id(zeros).status != "corrupted" or _near_others(ctx, zeros, id18):
        return scientific
    return zeros


def _near_others(ctx: Ctx, text: str, own: str) -> bool:
    """Whether an 18-character ID text equals, or is one digit or one adjacent swap
    from, any issued or spoiled ID other than `own`."""
    near = {text[:i] + d + text[i + 1:] for i in range(18) for d in "0123456789X"}
    near |= {text[:i] + text[i + 1] + text[i] + text[i + 2:] for i in range(17)}
    return bool((near - {own}) & ctx.taken_ids)


def _unused(ctx: Ctx, make) -> str:
    """A spoiled ID that is nobody's real ID (else it would be an exact match)."""
    while (candidate := make()) in ctx.taken_ids:
        pass
    ctx.taken_ids.add(candidate)
    return candidate


def hard_negatives(ctx: Ctx) -> None:
    """Death records that must NOT make the recipient DECEASED_PAID."""
    for label, n in PER_TOWNSHIP["HARD_NEGATIVE"]:
        for row in take(ctx, n, eligible=old_enough_to_die(ctx), pick="eldest"):
            p = ctx.person(row)
            if "after month end" in label:
                death = ctx.month_end + np.timedelta64(int(ctx.rng.integers(1, 26)), "D")
                ctx.records.append(police_record(ctx, p, death, target=p.name))
            else:
                same_birth = "same birth date" in label
                birth = p["birth"] if same_birth else _other_birth(ctx, p["birth"])
                death = ctx.month_end - np.timedelta64(int(ctx.rng.integers(0, 700)), "D")
                district = ctx.world.district(p["district"])
                town = district.other_towns[int(ctx.rng.integers(len(district.other_towns)))]
                stranger_id = _namesake_id(ctx, p, birth, district)
                ctx.records.append(police_record(
                    ctx, p, death, id_text=stranger_id, birth=birth, town=town,
                    village=_stranger_village(ctx), target=p.name))
            ctx.flag("HARD_NEGATIVE", row, label)


def _stranger_village(ctx: Ctx) -> str:
    return f"{VILLAGE_POOL[int(ctx.rng.integers(len(VILLAGE_POOL)))]}{int(ctx.rng.integers(1, 12))}组"


def _other_birth(ctx: Ctx, birth) -> np.datetime64:
    shift = int(ctx.rng.integers(400, 20 * 365)) * (1 if ctx.rng.random() < 0.5 else -1)
    other = np.datetime64(birth, "D") + np.timedelta64(shift, "D")
    return min(max(other, np.datetime64("1916-01-01")), ctx.month_end - np.timedelta64(3 * 365, "D"))


def _namesake_id(ctx: Ctx, p: pd.Series, birth, district) -> str:
    """Another valid ID, far (>= 3 digits) from the recipient's so no ID rule links them."""
    codes = [district.earlier_code, district.code] + [c for c, _ in district.sichuan_codes]
    while True:
        region = codes[int(ctx.rng.integers(len(codes)))]
        candidate = issue_one(ctx.rng, region, birth, bool(p["male"]), ctx.taken_ids)
        if hamming(candidate, p["id18"]) >= 3:
            return candidate


def invalid_ids(ctx: Ctx) -> None:
    """Roster IDs that no normaliser can accept; the person is real (population has them)."""
    not_x = ~ctx.people["id18"].str.endswith("X").to_numpy()[ctx.roster["pid"].to_numpy()]
    for label, n in PER_TOWNSHIP["INVALID_ID"]:
        excel = "Excel" in label
        for row in take(ctx, n, eligible=not_x if excel else None):
            id18 = ctx.person(row)["id18"]
            if excel:
                # Excel keeps 15 significant digits: 500228199001011234 -> 5.00228199001011E+17
                ctx.roster.at[row, "id_raw"] = float(id18[:15] + "000")
                ctx.roster.at[row, "id_is_number"] = True
            else:
                ctx.roster.at[row, "id_raw"] = _spoiled(ctx, id18, label)
            ctx.flag("INVALID_ID", row, label)


def _spoiled(ctx: Ctx, id18: str, label: str) -> str:
    rng = ctx.rng
    while True:
        if "check digit" in label:
            wrong = [c for c in "0123456789X" if c != id18[17]]
            text = id18[:17] + wrong[int(rng.integers(len(wrong)))]
        elif "17" in label:
            text = id18[:17]
        elif "19" in label:
            i = int(rng.integers(6, 18))
            text = id18[:i] + str(int(rng.integers(10))) + id18[i:]
        elif "birth date" in label:
            mmdd = ("0230", "0231", "0431", "0631", "0931", "1131", "1301", "1232")
            text = with_check_digit(id18[:10] + mmdd[int(rng.integers(len(mmdd)))] + id18[14:17])
        else:  # a region code that never existed
            region = f"{int(rng.integers(90, 100))}{id18[2:6]}"
            if region in region_codes():
                continue
            text = with_check_digit(region + id18[6:17])
        if normalize_id(text).status != VALID:
            return text


def id_name_mismatch(ctx: Ctx) -> None:
    """Population holds the member's exact ID under another name."""
    homophone_ok = homophone_eligible(ctx)
    for label, n in PER_TOWNSHIP["ID_NAME_MISMATCH"]:
        for row in take(ctx, n, eligible=homophone_ok if "homophone" in label else None):
            p = ctx.person(row)
            if "homophone" in label:
                other = names.homophone_variant(p["name"], ctx.rng)
            elif "one character" in label and names.given_positions(p["name"]):
                other = names.typo_variant(p["name"], ctx.rng)
            else:
                other = names.unrelated_name(p["name"], bool(p["male"]), ctx.rng)
            ctx.people.at[p.name, "pop_name"] = other
            ctx.flag("ID_NAME_MISMATCH", row, label)


def id_attr_mismatch(ctx: Ctx) -> None:
    """The roster's 性别 or 出生日期 disagrees with the ID (population agrees with the ID)."""
    for label, n in PER_TOWNSHIP["ID_ATTR_MISMATCH"]:
        for row in take(ctx, n):
            p = ctx.person(row)
            if "sex" in label:
                ctx.roster.at[row, "male_stated"] = not p["male"]
            else:
                ctx.roster.at[row, "birth_stated"] = _misread_birth(ctx, p["birth"])
            ctx.flag("ID_ATTR_MISMATCH", row, label)


def _misread_birth(ctx: Ctx, birth) -> pd.Timestamp:
    """A plausible clerk's error: a day or two off, a year off, or month and day swapped."""
    b = pd.Timestamp(birth)
    choice = int(ctx.rng.integers(3))
    if choice == 2 and b.day <= 12 and b.day != b.month:
        return pd.Timestamp(b.year, b.day, b.month)
    if choice == 1:
        return b - pd.DateOffset(years=1) if b.year > 1920 else b + pd.DateOffset(years=1)
    return b + pd.Timedelta(days=int(ctx.rng.choice([-2, -1, 1, 2])))


def duplicate_benefit(ctx: Ctx) -> None:
    """The same person on two roster rows: two households, or both 低保 and 特困."""
    added = _Additions(ctx)
    for label, n in PER_TOWNSHIP["DUPLICATE_BENEFIT"]:
        tekun = "特困" in label
        for row in take(ctx, n, exclude_benefit="特困供养" if tekun else None):
            if tekun:
                second = added.new_household(row, "特困供养")
            else:
                second = added.into_other_household(row, same_village="same village" in label)
                if second is None:
                    continue
            ctx.flag("DUPLICATE_BENEFIT", row, label)
            ctx.flag("DUPLICATE_BENEFIT", second, label)
    added.commit()


class _Additions:
    """Roster rows and households added by faults, gathered and appended in one go
    (growing a DataFrame row by row copies it every time)."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.rows: dict[int, pd.Series] = {}
        self.households: dict[int, pd.Series] = {}
        self.household_ids = set(ctx.households["household_id"])

    def into_other_household(self, row: int, same_village: bool) -> int | None:
        ctx, h = self.ctx, self.ctx.households
        source = h.loc[ctx.roster.at[row, "hh"]]
        free = h[~h["used"] & (h["township_i"] == source["township_i"])
                 & ((h["village"] == source["village"]) == same_village)
                 & (h["benefit"] != "特困供养")]
        name = ctx.person(row)["name"]
        for hh in free.sort_values("priority").index:
            member_names = ctx.people.loc[ctx.roster.loc[ctx.roster["hh"] == hh, "pid"], "name"]
            if name not in set(member_names):  # names stay unique within a household
                h.at[hh, "used"] = True
                return self._row(row, hh, "其他", h.at[hh, "benefit"])
        return None

    def new_household(self, row: int, benefit: str) -> int:
        """A one-person household in a random village of the same township."""
        ctx, h = self.ctx, self.ctx.households
        town = h[h["township_i"] == h.at[ctx.roster.at[row, "hh"], "township_i"]]
        template = town.loc[town.index[int(ctx.rng.integers(len(town)))]]
        prefix = template["household_id"].rsplit("-", 1)[0]
        seq = int((town["village"] == template["village"]).sum()) + 1
        while f"{prefix}-{seq:03d}" in self.household_ids:
            seq += 1
        new = template.copy()
        new["household_id"] = f"{prefix}-{seq:03d}"
        self.household_ids.add(new["household_id"])
        new["benefit"], new["base_size"], new["used"] = benefit, 1, True
        new["enrolled"] = int(ctx.month.index - ctx.rng.integers(1, 48))
        new["exit_month"], new["size_delta"] = -1, 0
        new["phone"] = "1" + str(int(ctx.rng.integers(3 * 10**9, 10**10)))
        hh = int(h.index.max()) + 1 + len(self.households)
        self.households[hh] = new
        return self._row(row, hh, "户主", benefit)

    def _row(self, row: int, hh: int, relation: str, benefit: str) -> int:
        new = self.ctx.roster.loc[row].copy()
        new["hh"], new["relation"], new["appended"] = hh, relation, True
        new["amount"] = amount_for(self.ctx, benefit)
        new_row = int(self.ctx.roster.index.max()) + 1 + len(self.rows)
        self.rows[new_row] = new
        return new_row

    def commit(self) -> None:
        ctx = self.ctx
        if self.households:
            added = pd.DataFrame.from_dict(self.households, orient="index")
            ctx.households = pd.concat([ctx.households, added.astype(ctx.households.dtypes)])
        if self.rows:
            added = pd.DataFrame.from_dict(self.rows, orient="index")
            ctx.roster = pd.concat([ctx.roster, added.astype(ctx.roster.dtypes)])


def amount_for(ctx: Ctx, benefit: str) -> int:
    lo, hi = AMOUNT_RANGES[benefit]
    return int(ctx.rng.integers(lo, hi + 1))


AMOUNT_RANGES = {"农村低保": (200, 520), "城市低保": (300, 620), "特困供养": (780, 860)}


def not_in_registry(ctx: Ctx) -> None:
    for label, n in PER_TOWNSHIP["NOT_IN_REGISTRY"]:
        for row in take(ctx, n):
            ctx.people.at[ctx.roster.at[row, "pid"], "in_population"] = False
            ctx.flag("NOT_IN_REGISTRY", row, label)


def moved_out(ctx: Ctx) -> None:
    """迁出 on or before month end (flagged) and a few just after it (near misses)."""
    for label, n in PER_TOWNSHIP["MOVED_OUT"]:
        for row in take(ctx, n):
            day = ctx.month_end - np.timedelta64(int(ctx.rng.integers(0, 365)), "D")
            _set_moved(ctx, row, day)
            ctx.flag("MOVED_OUT", row, label)
    for row in take(ctx, NEAR_MISSES_PER_TOWNSHIP["moved_out_after_month_end"]):
        _set_moved(ctx, row, ctx.month_end + np.timedelta64(int(ctx.rng.integers(1, 21)), "D"))


def _set_moved(ctx: Ctx, row: int, day: np.datetime64) -> None:
    pid = ctx.roster.at[row, "pid"]
    ctx.people.at[pid, "pop_status"] = "迁出"
    ctx.people.at[pid, "pop_date"] = pd.Timestamp(day)


def household_size_changed(ctx: Ctx, deceased_rows: list[int]) -> None:
    """保障人数 not matching the roster; and every household with a death still paid."""
    for label, n in PER_TOWNSHIP["HOUSEHOLD_SIZE_CHANGED"]:
        for row in take(ctx, n, pick="head"):
            hh = ctx.roster.at[row, "hh"]
            size = ctx.households.at[hh, "base_size"]
            deltas = [1, 2] + ([-1] if size >= 2 else [])
            ctx.households.at[hh, "size_delta"] = deltas[int(ctx.rng.integers(len(deltas)))]
            ctx.flag("HOUSEHOLD_SIZE_CHANGED", row, label)
    heads = head_rows(ctx)
    for row in deceased_rows:
        ctx.flag("HOUSEHOLD_SIZE_CHANGED", heads[ctx.roster.at[row, "hh"]],
                 "member died (consequence of DECEASED_PAID)")


def head_rows(ctx: Ctx) -> pd.Series:
    """hh -> roster row of its 户主."""
    r = ctx.roster
    heads = r[(r["relation"] == "户主")]
    return pd.Series(heads.index, index=heads["hh"]).groupby(level=0).first()


def gradual_exit(ctx: Ctx) -> None:
    """渐退起始年月 more than 6 months before M (flagged); exactly 6 or fewer (not)."""
    m = ctx.month.index
    for label, n in PER_TOWNSHIP["GRADUAL_EXIT_OVERDUE"]:
        for row in take(ctx, n, pick="head"):
            _set_exit(ctx, row, m - int(ctx.rng.integers(7, 19)))
            ctx.flag("GRADUAL_EXIT_OVERDUE", row, label)
    for row in take(ctx, NEAR_MISSES_PER_TOWNSHIP["gradual_exit_exactly_6_months"], pick="head"):
        _set_exit(ctx, row, m - 6)
    for row in take(ctx, NEAR_MISSES_PER_TOWNSHIP["gradual_exit_recent"], pick="head"):
        _set_exit(ctx, row, m - int(ctx.rng.integers(0, 6)))


def _set_exit(ctx: Ctx, row: int, exit_month: int) -> None:
    hh = ctx.roster.at[row, "hh"]
    ctx.households.at[hh, "exit_month"] = exit_month
    enrolled = min(ctx.households.at[hh, "enrolled"], exit_month - 12)  # 渐退 after a year or more
    ctx.households.at[hh, "enrolled"] = max(FIRST_ENROLMENT, enrolled)


def malformed_rows(ctx: Ctx) -> None:
    """Rows a reader must reject.  One-person households, so rejecting the row leaves
    no household short of a member."""
    for label, n in PER_TOWNSHIP["REJECT"]:
        for row in take(ctx, n, pick="head", eligible=(ctx.households["base_size"].to_numpy()[
                ctx.roster["hh"].to_numpy()] == 1)):
            if "三百" in label:
                ctx.roster.at[row, "amount_text"] = "三百"
            elif "不详" in label:
                ctx.roster.at[row, "birth_text"] = "不详"
            else:
                ctx.roster.at[row, "name_text"] = ""
            ctx.flag("REJECT", row, label)


def roster_birth_date_deaths(ctx: Ctx) -> None:
    """The roster's 出生日期 is a clerk's error (the ID and population disagree with it), and
    the police record of the member's death, without an ID, follows the roster's date."""
    for label, n in UNSETTLED_DEATHS_PER_TOWNSHIP["DECEASED_SUSPECT"]:
        for row in take(ctx, n, eligible=old_enough_to_die(ctx), pick="eldest"):
            p = ctx.person(row)
            stated = _misread_birth(ctx, p["birth"])
            ctx.roster.at[row, "birth_stated"] = stated
            death = death_in_month(ctx, int(ctx.rng.integers(0, MAX_DEATH_MONTHS_AGO + 1)))
            ctx.records.append(police_record(ctx, p, death, id_text="", birth=stated, target=p.name))
            _enrolled_before(ctx, row, death)
            ctx.flag("DECEASED_SUSPECT", row, label, months_between(ctx.month.index, death))
            ctx.flag("ID_ATTR_MISMATCH", row, "roster birth date differs from id (a death record follows it)")


def ambiguous_namesakes(ctx: Ctx) -> None:
    """Two members of one village (two households) with one name, sex and birth date and
    IDs of their own; one dies, and the police record, without an ID, gives the village as
    the 户籍地址: nothing in it says which of the two it is."""
    for label, n in UNSETTLED_DEATHS_PER_TOWNSHIP["AMBIGUOUS_NAMESAKE"]:
        for row in take(ctx, n, eligible=old_enough_to_die(ctx), pick="eldest"):
            twin = _namesake_row(ctx, row)
            if twin is None:
                continue
            p = ctx.person(row)
            _make_namesake(ctx, ctx.roster.at[twin, "pid"], p)
            death = death_in_month(ctx, int(ctx.rng.integers(0, MAX_DEATH_MONTHS_AGO + 1)))
            village = ctx.households.at[ctx.roster.at[row, "hh"], "village"]
            ctx.records.append(police_record(ctx, p, death, id_text="", village=village, target=p.name))
            _enrolled_before(ctx, row, death)
            ctx.flag("AMBIGUOUS_NAMESAKE", row, label + " (the one who died)", months_between(ctx.month.index, death))
            ctx.flag("AMBIGUOUS_NAMESAKE", twin, label + " (living)")


def _namesake_row(ctx: Ctx, row: int) -> int | None:
    """A member of another unused household of the same village and sex as `row`'s, in whose
    household `row`'s name is free; that household is claimed."""
    r, h = ctx.roster, ctx.households
    hh = r.at[row, "hh"]
    p = ctx.person(row)
    hhs = r["hh"].to_numpy()
    ok = (~h["used"].to_numpy()[hhs] & ~r["appended"].to_numpy()
          & (h["township_i"].to_numpy()[hhs] == h.at[hh, "township_i"])
          & (h["village"].to_numpy()[hhs] == h.at[hh, "village"])
          & (ctx.people["male"].to_numpy()[r["pid"].to_numpy()] == bool(p["male"])))
    candidates = r.loc[ok].assign(priority=h["priority"].to_numpy()[hhs[ok]]).sort_values("priority")
    for twin, other_hh in zip(candidates.index, candidates["hh"]):
        if p["name"] not in set(ctx.people.loc[r.loc[r["hh"] == other_hh, "pid"], "name"]):
            h.at[other_hh, "used"] = True
            ctx.pinned.add(int(r.at[twin, "pid"]))
            return int(twin)
    return None


def _make_namesake(ctx: Ctx, pid: int, like: pd.Series) -> None:
    """Person `pid` gets `like`'s name and birth date, and an ID of their own for that day."""
    people = ctx.people
    for column in ("sur_i", "g1", "g2", "minority_i", "name", "sur_key", "giv_key"):
        people.at[pid, column] = like[column]
    people.at[pid, "birth"] = like["birth"]
    people.at[pid, "id18"] = issue_one(ctx.rng, people.at[pid, "id18"][:6], np.datetime64(like["birth"], "D"),
                                       bool(like["male"]), ctx.taken_ids)
