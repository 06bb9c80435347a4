"""Synthetic resident ID numbers: issuing them in bulk, and spoiling them one at a time.

Bulk issue is vectorised: the 17-digit body is an int64 (region * 10^11 + yyyymmdd *
10^3 + order code) and the check digit is the GB 11643 weighted sum mod 11, the same
arithmetic as `flows.normalize.ids.check_digit` (which the single-ID helpers call,
and against which the tests check the vectorised version).  The order code's last
digit carries the sex: odd for 男, even for 女.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from flows.normalize.ids import check_digit

from .world import District

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK_CHARS = np.array(list("10X98765432"), dtype=object)
_POWERS = 10 ** np.arange(16, -1, -1, dtype=np.int64)
_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def check_digits(body17: np.ndarray) -> np.ndarray:
    """Check characters for int64 17-digit bodies (vectorised check_digit)."""
    digits = (np.asarray(body17, dtype=np.int64)[:, None] // _POWERS) % 10
    return _CHECK_CHARS[(digits * _WEIGHTS).sum(axis=1) % 11]


def region_codes_for(rng: np.random.Generator, district: District,
                     birth: np.ndarray) -> np.ndarray:
    """Region code (int) each person's ID was issued under, from their birth year:
    the current code since `code_since`, the 1997 code before, and for a few people
    born before 1997 the old 四川 code that their ID still carries."""
    year = np.asarray(birth, dtype="datetime64[Y]").astype(np.int64) + 1970
    code = np.where(year >= district.code_since, int(district.code), int(district.earlier_code))
    old_sichuan = (year < 1997) & (rng.random(len(year)) < 0.05)
    for sichuan_code, last_year in reversed(district.sichuan_codes):
        code = np.where(old_sichuan & (year <= last_year), int(sichuan_code), code)
    return code


def issue_ids(rng: np.random.Generator, region: np.ndarray, birth: np.ndarray,
              male: np.ndarray, taken: set[str] | None = None) -> np.ndarray:
    """Unique valid 18-character IDs (object array) for people with these region
    codes, birth dates and sexes; none of them in `taken`."""
    ymd = pd.to_datetime(np.asarray(birth, dtype="datetime64[D]"))
    ymd = (ymd.year * 10000 + ymd.month * 100 + ymd.day).to_numpy(np.int64)
    prefix = np.asarray(region, dtype=np.int64) * 10**11 + ymd * 1000
    male = np.asarray(male, dtype=bool)
    order = np.zeros(len(prefix), dtype=np.int64)
    todo = np.ones(len(prefix), dtype=bool)
    taken_bodies = np.array(sorted(int(t[:17]) for t in (taken or ()) if len(t) == 18),
                            dtype=np.int64)
    while todo.any():  # redraw order codes that collide (birthday problem)
        n = int(todo.sum())
        sex_digit = 2 * rng.integers(0, 5, n) + male[todo]  # odd for 男
        order[todo] = rng.integers(0, 100, n) * 10 + sex_digit
        body = prefix + order
        clash = pd.Series(body).duplicated(keep="first").to_numpy() | np.isin(body, taken_bodies)
        todo = clash
    ids = pd.Series(body).astype(str).to_numpy(dtype=object) + check_digits(body)
    return ids


def issue_one(rng: np.random.Generator, region: str, birth: np.datetime64,
              male: bool, taken: set[str]) -> str:
    """One more unique valid ID; added to `taken`."""
    yyyymmdd = str(np.datetime64(birth, "D")).replace("-", "")
    while True:
        order = int(rng.integers(0, 100)) * 10 + 2 * int(rng.integers(0, 5)) + int(male)
        body = f"{region}{yyyymmdd}{order:03d}"
        id18 = body + check_digit(body)
        if id18 not in taken:
            taken.add(id18)
            return id18


# --- how IDs are written in source files (vectorised) ------------------------------

def written_ids(id18: np.ndarray, style: np.ndarray) -> np.ndarray:
    """IDs as a clerk or system wrote them; every style normalises back to id18.
    style: 'plain', 'lower_x', 'full_width', 'spaced', 'legacy15'."""
    ids = pd.Series(id18, dtype=object)
    out = ids.copy()
    out = out.mask(style == "lower_x", ids.str.lower())
    out = out.mask(style == "full_width", ids.str.translate(_FULL_WIDTH))
    out = out.mask(style == "spaced", ids.str[:6] + " " + ids.str[6:14] + " " + ids.str[14:])
    out = out.mask(style == "legacy15", ids.str[:6] + ids.str[8:17])
    return out.to_numpy(dtype=object)


def id_styles(rng: np.random.Generator, id18: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Pick a writing style per ID; styles that cannot apply fall back to 'plain'
    (lower_x needs a final X, legacy15 a birth year 19xx)."""
    names = ["plain", *shares]
    p = [1.0 - sum(shares.values()), *shares.values()]
    style = rng.choice(np.array(names, dtype=object), size=len(id18), p=p)
    ids = pd.Series(id18, dtype=object)
    style = np.where((style == "lower_x") & ~ids.str.endswith("X").to_numpy(), "plain", style)
    style = np.where((style == "legacy15") & (ids.str[6:8] != "19").to_numpy(), "plain", style)
    return style


def written_id(id18: str, style: str) -> str:
    """written_ids for one ID."""
    return {"plain": id18, "lower_x": id18.lower(), "full_width": id18.translate(_FULL_WIDTH),
            "spaced": f"{id18[:6]} {id18[6:14]} {id18[14:]}",
            "legacy15": id18[:6] + id18[8:17]}[style]


# --- spoiling one ID (fault injection) --------------------------------------------

def one_digit_typo(id18: str, rng: np.random.Generator, positions=range(6, 17)) -> str:
    """One digit typed wrong; the check digit is left as it was (so usually invalid)."""
    i = int(rng.choice(list(positions)))
    digit = str((int(id18[i]) + int(rng.integers(1, 10))) % 10)
    return id18[:i] + digit + id18[i + 1:]


def adjacent_transposition(id18: str, rng: np.random.Generator) -> str:
    """Two neighbouring, different digits swapped (…1987… -> …1978…)."""
    candidates = [i for i in range(6, 16) if id18[i] != id18[i + 1]]
    i = int(rng.choice(candidates))
    return id18[:i] + id18[i + 1] + id18[i] + id18[i + 2:]


def with_check_digit(body17: str) -> str:
    return body17 + check_digit(body17)


def hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)
