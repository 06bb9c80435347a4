"""The m side of the Fellegi–Sunter weights for fuzzy death matching.

m = how often a comparison lands on a level when the roster member and the death record
ARE the same person but the ID did not match exactly (a typo, an invalid or missing ID).
These are priors a clerk would agree with, not fitted: the data of one month hold too few
such deaths to estimate them.  The u side (how often two *different* people agree) is
measured on this month's data at run time (sql/matching/term_frequencies.sql,
u_estimates.sql), which is what keeps the score's meaning fixed as the registries grow.
Each comparison's m sum to 1 over its known levels; 'unknown' levels weigh nothing.
"""
from __future__ import annotations

import pandas as pd

# comparison -> level -> (m, u_prior).  u_prior is what u would be in a township's
# registries; it only matters while a month's data are too small to measure u (a test
# world of three people): the measured u is smoothed towards it with PRIOR_WEIGHT pseudo-pairs.
PRIORS: dict[str, dict[str, tuple[float, float]]] = {
    # column: the death record agrees only with the roster's 出生日期 where that differs from
    # the ID's (a registration error).  The police write from the 户籍, which follows the ID,
    # so this is rarer than a typo'd ID; its u is the date's term frequency, as for same.
    "birth": {"same": (0.95, 5e-5), "column": (0.02, 5e-5), "differs": (0.03, 1.0), "unknown": (1.0, 1.0)},
    # A different surname that is no homophone: a clerk rarely gets the surname wrong.
    "surname": {"same": (0.93, 0.01), "sound": (0.05, 0.003), "differs": (0.02, 0.99), "unknown": (1.0, 1.0)},
    "given": {"same": (0.75, 5e-4), "sound": (0.12, 5e-4), "unknown_syllable": (0.06, 5e-4),
              "one_char": (0.05, 0.005), "differs": (0.02, 0.99), "unknown": (1.0, 1.0)},
    # A near ID is a typo of this person's; another valid ID is someone else: an ID number
    # never changes, and a typo that keeps the check digit valid yet changes two digits that
    # are not a transposition is rarer than one in a million (a city's namesakes born the
    # same day with their own IDs must not add up to a suspicion).
    "id": {"near": (0.30, 1e-7), "conflict": (1e-6, 0.9), "unknown": (1.0, 1.0)},
    "sex": {"same": (0.98, 0.5), "differs": (0.02, 0.5), "unknown": (1.0, 1.0)},
    # The death record's 户籍地址: a recipient's own death is nearly always recorded at the
    # address the population registry holds for them, or at least in their village.
    "place": {"address": (0.60, 0.001), "village": (0.25, 0.01), "township": (0.08, 0.1),
              "district": (0.05, 0.4), "elsewhere": (0.02, 0.5), "unknown": (1.0, 1.0)},
}
PRIOR_WEIGHT = 1000


def priors_table() -> pd.DataFrame:
    return pd.DataFrame([{"comparison": c, "level": level, "m": m, "u_prior": u}
                         for c, levels in PRIORS.items() for level, (m, u) in levels.items()])
