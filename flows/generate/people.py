"""Everybody in the synthetic world, as one vectorised table.

Three kinds of people:
  * recipients — members of 低保/特困 households on the roster of a generated township;
  * residents  — the rest of those townships' registered population (计生全员人口);
  * strangers  — people of other towns who appear only in the district's death file.

Households (recipient and resident alike) are drawn as sizes, then expanded to members
with np.repeat: position 0 is the 户主, the others get a relation, an age relative to
the head's, a sex and a name.  Nothing here loops over people.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import names
from .idnumbers import issue_ids, region_codes_for
from .world import VILLAGE_POOL, Month, World

RECIPIENT, RESIDENT, STRANGER = 0, 1, 2

# 低保 household sizes 1..6; 特困 households are mostly one elderly person.
DIBAO_SIZE_P = np.array([0.22, 0.27, 0.22, 0.15, 0.09, 0.05])
TEKUN_SIZE_P = np.array([0.92, 0.08, 0, 0, 0, 0])
RESIDENT_SIZE_P = np.array([0.20, 0.28, 0.22, 0.16, 0.09, 0.05])
TEKUN_SHARE = 0.12
RECIPIENT_HOUSEHOLDS_PER_TOWNSHIP = 1000
POPULATION_PER_TOWNSHIP = 40_000
EARLIEST_BIRTH = np.datetime64("1916-01-01")

DEATH_SHARE = 0.02  # of residents, over the last two years
MOVED_SHARE = 0.015
POLICE_SHARE_OF_RESIDENT_DEATHS = 0.9
CREMATION_SHARE = 0.7  # of police deaths
POLICE_ROWS_PER_TOWNSHIP = 6000  # the district-wide file, per generated township
FAULT_POLICE_ROWS_PER_TOWNSHIP = 80  # roughly what faults.py adds

_OTHER_RELATIONS = np.array(["子女", "孙子女", "父母", "其他"], dtype=object)
_OTHER_RELATION_P = [0.66, 0.14, 0.12, 0.08]


def draw_sizes(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    return rng.choice(np.arange(1, 7), size=n, p=p)


def expand_households(rng: np.random.Generator, sizes: np.ndarray, head_age: np.ndarray,
                      ref_day: np.datetime64) -> pd.DataFrame:
    """One row per member: hh (household position), relation, male, birth, name parts."""
    hh = np.repeat(np.arange(len(sizes)), sizes)
    pos = np.arange(len(hh)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    n = len(hh)
    relation = np.where(pos == 0, "户主", rng.choice(_OTHER_RELATIONS, n, p=_OTHER_RELATION_P))
    # The second member is usually the spouse.
    relation = np.where((pos == 1) & (rng.random(n) < 0.75), "配偶", relation)

    head = head_age[hh]
    offset = {  # age relative to the head, in years
        "户主": 0.0, "配偶": rng.normal(0, 3, n), "子女": -rng.uniform(20, 36, n),
        "孙子女": -rng.uniform(44, 62, n), "父母": rng.uniform(20, 32, n),
        "其他": rng.uniform(-30, 10, n),
    }
    age = np.select([relation == r for r in offset], list(offset.values()))
    age = head + age
    too_old = age > 99  # a 90-year-old head has no living parents: make them a child
    relation = np.where(too_old, "子女", relation)
    age = np.where(too_old, head - rng.uniform(20, 36, n), age)
    age = np.clip(age, rng.uniform(0.2, 3, n), 99)

    head_male = rng.random(len(sizes)) < 0.7
    male = np.where(pos == 0, head_male[hh], rng.random(n) < 0.5)
    male = np.where(relation == "配偶", ~head_male[hh], male)

    birth = birth_dates(rng, age, ref_day)
    members = pd.DataFrame({"hh": hh, "relation": relation.astype(object), "male": male,
                            "birth": birth})
    return with_names(rng, members)


def birth_dates(rng: np.random.Generator, age_years: np.ndarray, ref_day: np.datetime64) -> np.ndarray:
    days = np.round(np.asarray(age_years) * 365.25 + rng.uniform(0, 1, len(age_years))).astype(np.int64)
    birth = ref_day - days.astype("timedelta64[D]")
    return np.clip(birth, EARLIEST_BIRTH, ref_day - np.timedelta64(30, "D"))


def with_names(rng: np.random.Generator, members: pd.DataFrame) -> pd.DataFrame:
    """Name everyone; children and grandchildren mostly carry the head's surname, and
    no two members of one household share a name."""
    n = len(members)
    parts = names.draw_names(rng, members["male"].to_numpy())
    hh = members["hh"].to_numpy()
    first = np.r_[0, np.flatnonzero(np.diff(hh)) + 1]
    head_sur = np.repeat(parts["sur_i"][first], np.diff(np.r_[first, n]))
    inherits = np.isin(members["relation"], ["子女", "孙子女"]) & (rng.random(n) < 0.85) & (head_sur >= 0)
    parts["sur_i"] = np.where(inherits & (parts["minority_i"] < 0), head_sur, parts["sur_i"])
    members = members.assign(**parts)
    return redraw_names(rng, members, clash_within_household(members))


def clash_within_household(people: pd.DataFrame) -> np.ndarray:
    names_ = names.name_strings(_parts(people))
    return pd.DataFrame({"hh": people["hh"].to_numpy(), "n": names_}).duplicated().to_numpy()


def _parts(people: pd.DataFrame) -> dict[str, np.ndarray]:
    return {k: people[k].to_numpy() for k in ("sur_i", "g1", "g2", "minority_i")}


def redraw_names(rng: np.random.Generator, people: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """New names for the masked people until none repeats within a household."""
    people = people.copy()
    mask = np.asarray(mask, dtype=bool)
    for _ in range(50):
        if not mask.any():
            return people
        fresh = names.draw_names(rng, people.loc[mask, "male"].to_numpy())
        for key, values in fresh.items():
            people.loc[mask, key] = values
        mask = clash_within_household(people) & mask
    raise RuntimeError("could not make names unique")


_NAME_COLUMNS = ["sur_i", "g1", "g2", "minority_i", "name", "sur_key", "giv_key"]


def rename(rng: np.random.Generator, people: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """`people` with new names for the masked ones; only their households are touched."""
    touched = people["hh"].isin(people.loc[mask, "hh"].unique()).to_numpy()
    family = redraw_names(rng, people.loc[touched], np.asarray(mask)[touched])
    family = finish_names(family)
    people = people.copy()
    for column in _NAME_COLUMNS:
        people.loc[touched, column] = family[column].to_numpy()
    return people


def finish_names(people: pd.DataFrame) -> pd.DataFrame:
    """Name string and its sound keys from the name parts."""
    parts = _parts(people)
    sur_key, giv_key = names.sound_keys(parts)
    return people.assign(name=names.name_strings(parts), sur_key=sur_key, giv_key=giv_key)


# --- the three kinds of people --------------------------------------------------

def recipient_households(rng: np.random.Generator, world: World) -> pd.DataFrame:
    """Roster households: township, village, benefit type, size, head age, ..."""
    frames = []
    for t_i, town in enumerate(world.townships):
        n = int(rng.integers(RECIPIENT_HOUSEHOLDS_PER_TOWNSHIP - 40, RECIPIENT_HOUSEHOLDS_PER_TOWNSHIP + 41))
        village = rng.choice(np.array(town.villages, dtype=object), n)
        tekun = rng.random(n) < TEKUN_SHARE
        community = pd.Series(village).str.endswith("社区").to_numpy()
        benefit = np.where(tekun, "特困供养", np.where(community, "城市低保", "农村低保"))
        sizes = np.where(tekun, draw_sizes(rng, n, TEKUN_SIZE_P), draw_sizes(rng, n, DIBAO_SIZE_P))
        head_age = np.where(tekun, rng.uniform(60, 95, n), rng.uniform(28, 86, n))
        frames.append(pd.DataFrame({"township_i": t_i, "township": town.name,
                                    "district": town.district, "village": village,
                                    "benefit": benefit, "size": sizes, "head_age": head_age}))
    return _number_households(pd.concat(frames, ignore_index=True), world)


def village_table(world: World) -> pd.DataFrame:
    """(township_i, village) -> village number and township code, for lookups by merge."""
    rows = [(t_i, v, v_no, town.abbr)
            for t_i, town in enumerate(world.townships)
            for v_no, v in enumerate(town.villages, start=1)]
    return pd.DataFrame(rows, columns=["township_i", "village", "village_no", "abbr"])


def _number_households(households: pd.DataFrame, world: World) -> pd.DataFrame:
    """户编号 like HL-0003-017: township code, village number, household in village."""
    households = households.merge(village_table(world), on=["township_i", "village"], how="left")
    households = households.sort_values(["township_i", "village_no"], kind="stable",
                                        ignore_index=True)
    seq = households.groupby(["township_i", "village_no"]).cumcount() + 1
    households["household_id"] = (households["abbr"] + "-"
                                  + households["village_no"].map("{:04d}".format) + "-"
                                  + seq.map("{:03d}".format))
    return households.drop(columns="abbr")


def resident_households(rng: np.random.Generator, world: World,
                        population_per_township: int = POPULATION_PER_TOWNSHIP) -> pd.DataFrame:
    """Non-recipient households filling each township up to its registered population."""
    frames = []
    for t_i, town in enumerate(world.townships):
        target = population_per_township - 2600  # recipients make up the rest
        sizes = draw_sizes(rng, int(target / 2.6 * 1.05), RESIDENT_SIZE_P)
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), target)) + 1]
        n = len(sizes)
        frames.append(pd.DataFrame({
            "township_i": t_i, "township": town.name, "district": town.district,
            "village": rng.choice(np.array(town.villages, dtype=object), n),
            "size": sizes, "head_age": rng.uniform(22, 88, n)}))
    return pd.concat(frames, ignore_index=True)


def household_members(rng: np.random.Generator, households: pd.DataFrame, kind: int,
                      month: Month) -> pd.DataFrame:
    ref_day = np.datetime64(month.last_day)
    members = expand_households(rng, households["size"].to_numpy(),
                                households["head_age"].to_numpy(), ref_day)
    carried = ["township_i", "township", "district", "village"]
    carried += ["household_id", "benefit"] if kind == RECIPIENT else []
    for col in carried:
        members[col] = households[col].to_numpy()[members["hh"].to_numpy()]
    members["kind"] = kind
    return members


def strangers(rng: np.random.Generator, world: World, month: Month, counts: dict[str, int]) -> pd.DataFrame:
    """People of other towns who died in the last two years (a few just after M)."""
    frames = []
    month_end = np.datetime64(month.last_day)
    for district_name, n in counts.items():
        district = world.district(district_name)
        late = rng.random(n) < 0.01  # export runs a little after month end
        death = np.where(late, month_end + rng.integers(1, 21, n).astype("timedelta64[D]"),
                         month_end - rng.integers(0, 730, n).astype("timedelta64[D]"))
        age = np.where(rng.random(n) < 0.06, rng.uniform(0.5, 60, n), np.clip(rng.normal(78, 10, n), 40, 104))
        frames.append(pd.DataFrame({
            "district": district.name, "township_i": -1,
            "township": rng.choice(np.array(district.other_towns, dtype=object), n),
            "village": rng.choice(np.array(VILLAGE_POOL, dtype=object), n),
            "male": rng.random(n) < 0.55, "birth": _birth_before(death, age),
            "death": death, "relation": "", "hh": -1}))
    out = pd.concat(frames, ignore_index=True)
    out["kind"] = STRANGER
    parts = names.draw_names(rng, out["male"].to_numpy())
    return out.assign(**parts)


def _birth_before(death: np.ndarray, age: np.ndarray) -> np.ndarray:
    days = np.round(age * 365.25).astype(np.int64).astype("timedelta64[D]")
    return np.maximum(death - days, EARLIEST_BIRTH)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Synthetic 11-digit mobile numbers (13x, 15x, 17x, 18x, 19x)."""
    second = rng.choice(np.array(["3", "5", "7", "8", "9"], dtype=object), n)
    rest = pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9)
    return ("1" + second + rest).to_numpy(dtype=object)


# --- putting everyone together ----------------------------------------------------


def build_people(rng: np.random.Generator, world: World, month: Month,
                 population_per_township: int = POPULATION_PER_TOWNSHIP,
                 police_rows_per_township: int = POLICE_ROWS_PER_TOWNSHIP,
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(people, recipient households).  people is indexed by pid; `hh` is a global
    household number (recipient households first, so hh == households.index for them).
    The city scale passes a smaller population and death file per township."""
    households = recipient_households(rng, world)
    recipients = household_members(rng, households, RECIPIENT, month)
    resident_hh = resident_households(rng, world, population_per_township)
    residents = household_members(rng, resident_hh, RESIDENT, month)
    residents["hh"] += len(households)
    people = pd.concat([recipients, residents], ignore_index=True)
    people = with_addresses(rng, people)
    people = with_fates(rng, people, month)
    police_by_district = people[people["police"]].groupby("district").size()
    n_towns = pd.Series([t.district for t in world.townships]).value_counts()
    stranger_counts = {d: int(n * (police_rows_per_township - FAULT_POLICE_ROWS_PER_TOWNSHIP)
                              - police_by_district.get(d, 0)) for d, n in n_towns.items()}
    others = strangers(rng, world, month, stranger_counts)
    others["hh"] = people["hh"].max() + 1 + np.arange(len(others))  # each on their own
    people = pd.concat([people, with_stranger_fates(rng, others)], ignore_index=True)
    people["birth"] = registered_birth_dates(rng, people["birth"].to_numpy())
    people["id18"] = issue_all_ids(rng, world, people)
    people = finish_names(people)
    people["pop_name"] = None  # set where the population spells the name differently
    households["base_size"] = households["size"]
    return people, households


def with_addresses(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """户籍地址 and 户号 per household (members share them)."""
    first = ~people["hh"].duplicated()
    hh = people.loc[first, ["hh", "district", "township", "village"]].reset_index(drop=True)
    n = len(hh)
    community = hh["village"].str.endswith("社区")
    place = np.where(community, pd.Series(rng.integers(1, 60, n)).astype(str) + "号",
                     pd.Series(rng.integers(1, 13, n)).astype(str) + "组")
    hh["address"] = "重庆市" + hh["district"] + hh["township"] + hh["village"] + place
    # 户号: 9 digits, unrelated to who is a recipient (exports sort by it).
    hh["hu_hao"] = pd.Series(100_000_001 + rng.permutation(n)).astype(str)
    return people.merge(hh[["hh", "address", "hu_hao"]], on="hh", how="left")


def with_fates(rng: np.random.Generator, people: pd.DataFrame, month: Month) -> pd.DataFrame:
    """Some residents died (mostly the old) or moved out; most deaths reach the police."""
    n = len(people)
    month_end = np.datetime64(month.last_day)
    resident = (people["kind"] == RESIDENT).to_numpy()
    birth = people["birth"].to_numpy().astype("datetime64[D]")
    age = (month_end - birth).astype(np.int64) / 365.25
    weight = np.where(resident & (age >= 3), np.exp(age / 10), 0.0)
    n_dead = int(DEATH_SHARE * resident.sum())
    with np.errstate(divide="ignore"):
        keys = rng.exponential(size=n) / weight  # weighted sampling without replacement
    dead = np.zeros(n, dtype=bool)
    dead[np.argpartition(keys, n_dead)[:n_dead]] = True
    death = month_end - rng.integers(0, 730, n).astype("timedelta64[D]")
    death = np.maximum(death, birth + np.timedelta64(365, "D"))

    moved = resident & ~dead & (rng.random(n) < MOVED_SHARE)
    moved_day = month_end - rng.integers(0, 1095, n).astype("timedelta64[D]")
    police = dead & (rng.random(n) < POLICE_SHARE_OF_RESIDENT_DEATHS)
    cremation = dead & (rng.random(n) < np.where(police, CREMATION_SHARE, 0.3))
    return people.assign(
        pop_status=np.where(dead, "死亡", np.where(moved, "迁出", "正常")).astype(object),
        pop_date=pd.to_datetime(np.where(dead, death, np.where(moved, moved_day, np.datetime64("NaT")))),
        death=pd.to_datetime(np.where(dead, death, np.datetime64("NaT"))),
        police=police, cremation=cremation, in_population=people["kind"] != STRANGER)


def with_stranger_fates(rng: np.random.Generator, others: pd.DataFrame) -> pd.DataFrame:
    """Strangers are in the police file; a few only in the cremation records."""
    n = len(others)
    police = rng.random(n) < 0.98
    cremation = ~police | (rng.random(n) < CREMATION_SHARE)
    return others.assign(pop_status="", pop_date=pd.NaT, address=(
        "重庆市" + others["district"] + others["township"] + others["village"]
        + pd.Series(rng.integers(1, 13, n)).astype(str).to_numpy() + "组"),
        hu_hao="", police=police, cremation=cremation, in_population=False)


OLD_BIRTH_BEFORE = np.datetime64("1950-01-01")
JANUARY_FIRST_SHARE = 0.15


def registered_birth_dates(rng: np.random.Generator, birth: np.ndarray) -> np.ndarray:
    """Many people born before 1950 were registered on 1 January of their year (the day
    was not known): a crowded birth date that makes chance agreements common."""
    birth = birth.astype("datetime64[D]")
    crowded = (birth < OLD_BIRTH_BEFORE) & (rng.random(len(birth)) < JANUARY_FIRST_SHARE)
    return np.where(crowded, birth.astype("datetime64[Y]").astype("datetime64[D]"), birth)


def issue_all_ids(rng: np.random.Generator, world: World, people: pd.DataFrame) -> np.ndarray:
    birth = people["birth"].to_numpy().astype("datetime64[D]")
    region = np.zeros(len(people), dtype=np.int64)
    for district in world.districts:
        mine = (people["district"] == district.name).to_numpy()
        region[mine] = region_codes_for(rng, district, birth[mine])
    return issue_ids(rng, region, birth, people["male"].to_numpy())
