"""Faults shaped by how registries really write names and dates (issues 13 and 18).

  * A GB2312 system cannot store 喆, 堃, 玥 …: the clerk writes the character as pinyin
    (袁文zhe), as a placeholder (?, ？, □, *, 〇), or the record keeps a traditional form
    (劉, 陳).  The roster and population spell the name properly.
  * Some death records know the date only to the month (2019年10月, 2019-10, 201910).
  * One source reports the same death twice; a death is recorded by another district.
  * Chance agreements that a city's size makes common: a stranger's death with an invalid
    ID and a name one character from a recipient's, on the recipient's birth date — kept
    and labelled HARD_NEGATIVE, so precision can be measured.
Each shape is labelled in truth.csv like every other fault (faults.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import zhconv

from flows.normalize.names import name_pinyin

from . import names
from .data_faults import (MAX_DEATH_MONTHS_AGO, Ctx, _enrolled_before, _stranger_village, _unused, _spoiled,
                     adjacent_transposition, death_in_month, mark_population_death, months_between,
                     old_enough_to_die, one_digit_typo, police_record, take, three_char_eligible)

RARE_CHARACTERS = "喆堃玥赟燊犇垚彧珺淏翀"
PLACEHOLDERS = ("?", "？", "□", "*", "〇")
MONTH_STYLES = ("month_iso", "month_chinese", "month_compact")

PER_TOWNSHIP_HABITS: dict[str, tuple[tuple[str, int], ...]] = {
    "DECEASED_PAID": (
        ("police death, death date known only to the month", 3),
        ("population 死亡 only, 变动日期 known only to the month", 2),
        ("police death reported twice by the police file", 2),
        ("police death recorded by another district", 2),
        ("police death, rare character written in pinyin", 1),
        ("police death, name in traditional characters", 1),
    ),
    "DECEASED_SUSPECT": (
        ("rare character written as a placeholder, police id one digit off", 2),
        ("rare character written in pinyin, police id one digit off", 2),
        ("rare character written in pinyin, no id, same birth date", 1),
        ("rare character written as a placeholder, no id, same birth date", 1),
        ("name in traditional characters, police id adjacent digits transposed", 2),
        ("police record without id, same name and birth date, death known only to the month", 2),
    ),
    "HARD_NEGATIVE": (
        ("hard negative: name equal but for a placeholder, another birth date, died", 1),
        ("hard negative: stranger with invalid id, one given character away, same birth date, another district", 2),
        ("hard negative: stranger with invalid id, another surname, same given name and birth date, another district", 1),
        ("hard negative: recipient with invalid roster id, stranger one given character away, same birth date", 1),
    ),
}


def inject_habits(ctx: Ctx) -> list[int]:
    """All shapes above; returns the roster rows of deaths paid (HOUSEHOLD_SIZE_CHANGED)."""
    paid = _deaths_paid(ctx)
    _suspects(ctx)
    _chance_agreements(ctx)
    return paid


def _month_style(ctx: Ctx) -> str:
    return MONTH_STYLES[int(ctx.rng.integers(len(MONTH_STYLES)))]


def _death(ctx: Ctx) -> np.datetime64:
    return death_in_month(ctx, int(ctx.rng.integers(0, MAX_DEATH_MONTHS_AGO + 1)))


def with_rare_character(ctx: Ctx, row: int) -> str:
    """The member's last given character replaced by one GB2312 lacks; the roster and the
    population both spell the new name (the person's sound keys follow it)."""
    p = ctx.person(row)
    rare = RARE_CHARACTERS[int(ctx.rng.integers(len(RARE_CHARACTERS)))]
    name = p["name"][:-1] + rare
    ctx.roster.at[row, "name_text"] = name
    ctx.people.at[p.name, "pop_name"] = name
    ctx.people.at[p.name, "sur_key"], ctx.people.at[p.name, "giv_key"] = names.sound_keys_of(name)
    return name


def as_pinyin(name: str) -> str:
    """袁文喆 -> 袁文zhe: the last character as its pinyin, as a clerk types it."""
    return name[:-1] + name_pinyin(name[-1])


def as_placeholder(ctx: Ctx, name: str) -> str:
    return name[:-1] + PLACEHOLDERS[int(ctx.rng.integers(len(PLACEHOLDERS)))]


def traditional(name: str) -> str:
    return zhconv.convert(name, "zh-tw")


def _has_traditional_form(ctx: Ctx) -> np.ndarray:
    # roster names only, each distinct name converted once (zhconv costs ~5 µs a call)
    roster_names = ctx.people["name"].iloc[ctx.roster["pid"].to_numpy()]
    distinct = roster_names.unique()
    differs = dict(zip(distinct, (traditional(n) != n for n in distinct)))
    return roster_names.map(differs).to_numpy(dtype=bool)


def _deaths_paid(ctx: Ctx) -> list[int]:
    rows = []
    old = old_enough_to_die(ctx)
    for label, n in PER_TOWNSHIP_HABITS["DECEASED_PAID"]:
        eligible = old & _has_traditional_form(ctx) if "traditional" in label else old
        for row in take(ctx, n, eligible=eligible, pick="eldest"):
            p = ctx.person(row)
            death = _death(ctx)
            if "population" in label:
                mark_population_death(ctx, p.name, death)
                if "pop_date_style" not in ctx.people:
                    ctx.people["pop_date_style"] = None
                ctx.people.at[p.name, "pop_date_style"] = _month_style(ctx)
            else:
                record = police_record(ctx, p, death, target=p.name)
                if "month" in label:
                    record["date_style"] = _month_style(ctx)
                if "pinyin" in label:
                    record["name"] = as_pinyin(with_rare_character(ctx, row))
                if "traditional" in label:
                    record["name"] = traditional(p["name"])
                if "another district" in label:
                    record.update(_elsewhere(ctx, p))
                ctx.records.append(record)
                if "twice" in label:
                    # a second row of the same death: the same day, or a later day
                    later = death + np.timedelta64(int(ctx.rng.integers(0, 2)) * int(ctx.rng.integers(1, 20)), "D")
                    ctx.records.append({**record, "death": min(later, ctx.month_end)})
            _enrolled_before(ctx, row, death)
            ctx.flag("DECEASED_PAID", row, label, months_between(ctx.month.index, death))
            rows.append(row)
    return rows


def _elsewhere(ctx: Ctx, p: pd.Series) -> dict:
    """The record held by another district's police (the person's own address kept)."""
    others = [d.name for d in ctx.world.districts if d.name != p["district"]]
    if not others:
        return {}
    return {"district": others[int(ctx.rng.integers(len(others)))]}


def _suspects(ctx: Ctx) -> None:
    old = old_enough_to_die(ctx)
    for label, n in PER_TOWNSHIP_HABITS["DECEASED_SUSPECT"]:
        eligible = old & _has_traditional_form(ctx) if "traditional" in label else old
        for row in take(ctx, n, eligible=eligible, pick="eldest"):
            p = ctx.person(row)
            death = _death(ctx)
            name = p["name"]
            if "rare character" in label:
                name = with_rare_character(ctx, row)
                name = as_pinyin(name) if "pinyin" in label else as_placeholder(ctx, name)
            elif "traditional" in label:
                name = traditional(name)
            if "one digit" in label:
                id_text = _unused(ctx, lambda: one_digit_typo(p["id18"], ctx.rng))
            elif "transposed" in label:
                id_text = _unused(ctx, lambda: adjacent_transposition(p["id18"], ctx.rng))
            else:
                id_text = ""
            record = police_record(ctx, p, death, name=name, id_text=id_text, target=p.name)
            if "month" in label:
                record["date_style"] = _month_style(ctx)
            ctx.records.append(record)
            _enrolled_before(ctx, row, death)
            ctx.flag("DECEASED_SUSPECT", row, label, months_between(ctx.month.index, death))


def _chance_agreements(ctx: Ctx) -> None:
    """Living recipients and a stranger's death record that agrees with them by chance."""
    old = old_enough_to_die(ctx)
    two_given = three_char_eligible(ctx)
    for label, n in PER_TOWNSHIP_HABITS["HARD_NEGATIVE"]:
        eligible = old & two_given
        for row in take(ctx, n, eligible=eligible, pick="eldest"):
            p = ctx.person(row)
            death = ctx.month_end - np.timedelta64(int(ctx.rng.integers(0, 500)), "D")
            birth = p["birth"]
            if "placeholder" in label:
                name = as_placeholder(ctx, p["name"])
                birth = np.datetime64(p["birth"], "D") + np.timedelta64(int(ctx.rng.integers(30, 3000)), "D")
            elif "another surname" in label:
                name = _other_surname(ctx, p["name"]) + p["name"][1:]
            else:
                name = names.typo_variant(p["name"], ctx.rng)
            id_text = "不详" if ctx.rng.random() < 0.5 else p["id18"][:16]
            town = _town_elsewhere(ctx, p)
            record = police_record(ctx, p, death, name=name, id_text=id_text, birth=birth,
                                   town=town, village=_stranger_village(ctx), target=p.name)
            if "another district" in label:
                record.update(_elsewhere(ctx, p))
                if "district" in record and record["district"] != p["district"]:
                    record["address"] = f"重庆市{record['district']}{record['address'].split('区', 1)[-1]}"
            ctx.records.append(record)
            if "invalid roster id" in label:
                ctx.roster.at[row, "id_raw"] = _spoiled(ctx, p["id18"], "check digit")
                ctx.flag("INVALID_ID", row, "invalid id: bad check digit")
            ctx.flag("HARD_NEGATIVE", row, label)


def _other_surname(ctx: Ctx, name: str) -> str:
    sound = name_pinyin(name[0])
    while True:
        surname = names.SURNAMES[int(ctx.rng.integers(len(names.SURNAMES)))]
        if name_pinyin(surname) != sound:
            return surname


def _town_elsewhere(ctx: Ctx, p: pd.Series) -> str:
    district = ctx.world.district(p["district"])
    return district.other_towns[int(ctx.rng.integers(len(district.other_towns)))]
