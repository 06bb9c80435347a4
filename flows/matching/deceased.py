"""Fuzzy death matching, Fellegi–Sunter style, set-wise in DuckDB.

A roster member without an exact-ID death record may still be dead under a mistyped,
invalid or missing ID.  Candidate pairs are blocked (same birth date and a name syllable
in common, or an ID one digit or one transposition away), every comparison is given a
level in SQL, and each level weighs log2(m/u): u — how often two *different* people agree
that way — is measured on this month's data (term frequencies of birth dates, surnames and
given names; level shares among random pairs), so a coincidence that a city's size makes
common weighs little.  The sum gives a match probability; DECEASED_SUSPECT reports pairs
at or above a threshold, and the run states how many of those are expected to be chance.
A death record that fits several members (namesakes of one village born the same day)
shares its probability among them (sql/matching/suspect_shares.sql).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from flows.matching.model import ModelChoice, match_priors
from flows.matching.weights import PRIOR_WEIGHT
from flows.warehouse import query_sql, replace_table, row_count, run_sql

U_SAMPLE_MEMBERS = 1000
U_SAMPLE_DEATHS = 1000
SMALL_WORLD = 100


@dataclass
class MatchSummary:
    candidate_pairs: int        # blocked
    pairs_scored: int           # of those, the ones that could reach the threshold
    threshold: float
    expected_chance_suspicions: float
    expected_chance_per_10000: float
    suspicions: int
    prior: float
    shared_suspicions: int = 0           # of the suspicions, members whose death record fits several
    expected_chance_of_shared: float = 0.0  # their part of expected_chance_suspicions
    model: dict | None = None   # which m were used and why (flows/matching/model.py)

    def as_record(self) -> dict:
        return {"candidate_pairs": self.candidate_pairs, "pairs_scored": self.pairs_scored, "threshold": self.threshold,
                "expected_chance_suspicions": round(self.expected_chance_suspicions, 3),
                "expected_chance_per_10000_recipients": round(self.expected_chance_per_10000, 3),
                "suspicions": self.suspicions, "prior": self.prior,
                "shared_suspicions": self.shared_suspicions,
                "expected_chance_of_shared": round(self.expected_chance_of_shared, 3), "model": self.model}


def score_candidates(con: duckdb.DuckDBPyConnection, params: dict, model: ModelChoice | None = None) -> MatchSummary:
    """Build suspect_scores (one row per candidate pair: probability, evidence) and
    suspect_shares (the flagged pairs, a death record's probability shared among the
    members it fits) for DECEASED_SUSPECT; needs rule_hits to hold DECEASED_PAID already.
    `model`: the m to score with (a checked model file's, flows/matching/model.py), the
    priors when None.

    The working tables on the way (match_sides, id_candidates, term_frequencies,
    pair_input, pair_levels, match_u) are temporary: they hold both sides' names, IDs and
    addresses, and a million random pairs for u, which nothing after this step reads, so
    they are never written into the warehouse file."""
    run_sql(con, "matching/match_sides", params)
    run_sql(con, "matching/id_candidates")
    run_sql(con, "matching/term_frequencies")
    run_sql(con, "matching/u_sample_input", {"u_members": U_SAMPLE_MEMBERS, "u_deaths": U_SAMPLE_DEATHS})
    run_sql(con, "matching/pair_levels")
    replace_table(con, "match_priors", match_priors(model))
    run_sql(con, "matching/u_estimates", {"prior_weight": PRIOR_WEIGHT})
    counts = query_sql(con, "matching/match_counts").iloc[0]
    prior = _prior(int(counts["members"]), int(counts["deaths"]), int(counts["exact_deaths"]))
    weights = {"prior": prior, "prior_weight": PRIOR_WEIGHT, "records": int(counts["members"] + counts["deaths"])}
    threshold = params["suspect_min_probability"]
    run_sql(con, "matching/suspect_candidates")
    candidates = row_count(con, "suspect_candidates")
    run_sql(con, "matching/candidate_input", {**weights, "min_weight": threshold_weight(threshold)})
    run_sql(con, "matching/pair_levels")
    run_sql(con, "matching/suspect_scores", weights)
    pairs = row_count(con, "suspect_scores")
    run_sql(con, "matching/suspect_shares", {"suspect_min_probability": threshold})
    chance = query_sql(con, "matching/chance_suspicions", params).iloc[0]
    expected = float(chance["expected_chance"])
    recipients = max(int(chance["recipients"]), 1)
    return MatchSummary(candidates, pairs, threshold, expected, expected * 10000 / recipients, int(chance["suspicions"]), prior,
                        int(chance["shared"]), float(chance["expected_chance_shared"]),
                        model.record if model is not None else None)


def threshold_weight(threshold: float) -> float:
    """The match weight of `threshold`, a little below it: a score is rounded to 4 places,
    and a pair just under the threshold may round up to it."""
    lowest = threshold - 1e-4
    return -math.inf if lowest <= 0 else math.log2(lowest / (1 - lowest)) - 1e-9


def _prior(members: int, deaths: int, exact_deaths: int) -> float:
    """The chance that a random (member, death record) pair is one person, from how many
    members this month's death records name by exact ID (+1 so a month with none still
    allows a fuzzy match; +100 on each side so that a test world of three people does
    not treat every pair as a likely match)."""
    return (exact_deaths + 1) / ((members + SMALL_WORLD) * (deaths + SMALL_WORLD))
