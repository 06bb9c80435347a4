"""Accuracy of a run against the generator's truth.csv: recall and precision per rule.

A finding is identified by (rule, household_id, name); names are compared normalised.
"DECEASED" counts a true death as found when either DECEASED_PAID or DECEASED_SUSPECT
reports it; DECEASED_PAID precision must be 100% (a living person reported dead is
the worst error), and hard negatives must never be DECEASED_PAID.
AMBIGUOUS_NAMESAKE (a truth category, not a rule) are namesakes of one village born the
same day, one of whom a death record without an ID names: each is to be DECEASED_SUSPECT
at a probability of at most 0.5 with 同村同名同生日共k人 in its detail, never DECEASED_PAID;
their DECEASED_SUSPECT rows are scored there, not in the rule's recall and precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flows.normalize.names import normalize_name
from flows.rules import RULES

DECEASED = ("DECEASED_PAID", "DECEASED_SUSPECT")
AMBIGUOUS = "AMBIGUOUS_NAMESAKE"
AMBIGUOUS_TEXT = "请核实是哪一位"
KEY = ["household_id", "name"]


@dataclass
class Accuracy:
    per_rule: pd.DataFrame  # rule, truth, found, true_positive, recall, precision
    deceased_recall: float
    deceased_paid_precision: float
    months_exact: float  # share of true DECEASED_PAID found with exactly the true months_overpaid
    hard_negatives_paid: int
    hard_negatives_suspect: int  # living people (chance agreements, namesakes) sent to a house visit
    ambiguous: int = 0           # AMBIGUOUS_NAMESAKE members in truth
    ambiguous_shared: int = 0    # of them, DECEASED_SUSPECT at probability <= 0.5 with 共k人…请核实是哪一位
    ambiguous_paid: int = 0      # of them, DECEASED_PAID (must be 0)

    def lines(self) -> list[str]:
        out = [f"{'rule':<24}{'truth':>7}{'found':>7}{'tp':>7}{'recall':>9}{'precision':>11}"]
        for row in self.per_rule.itertuples():
            out.append(f"{row.rule:<24}{row.truth:>7}{row.found:>7}{row.true_positive:>7}"
                       f"{_pct(row.recall):>9}{_pct(row.precision):>11}")
        out += [
            f"DECEASED recall (PAID or SUSPECT): {_pct(self.deceased_recall)}",
            f"DECEASED_PAID precision:          {_pct(self.deceased_paid_precision)}",
            f"months_overpaid exact:            {_pct(self.months_exact)}",
            f"hard negatives flagged DECEASED_PAID: {self.hard_negatives_paid}",
            f"hard negatives flagged DECEASED_SUSPECT: {self.hard_negatives_suspect}",
            f"ambiguous namesakes flagged DECEASED_SUSPECT at <= 0.5 with 共k人: {self.ambiguous_shared}/{self.ambiguous}",
            f"ambiguous namesakes flagged DECEASED_PAID: {self.ambiguous_paid}",
        ]
        return out


def _pct(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.1%}"


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["household_id"] = frame["household_id"].fillna("").astype(str)
    frame["name"] = frame["name"].map(lambda n: normalize_name(n) or "")
    return frame


def evaluate(truth: pd.DataFrame, exceptions: pd.DataFrame) -> Accuracy:
    truth, exceptions = _keyed(truth), _keyed(exceptions)
    ambiguous = truth[truth["rule"] == AMBIGUOUS][KEY].drop_duplicates()
    suspects = exceptions[exceptions["rule"] == "DECEASED_SUSPECT"]
    shared = suspects[(pd.to_numeric(suspects["score"]) <= 0.5)
                      & suspects["detail"].fillna("").str.contains(AMBIGUOUS_TEXT)][KEY].drop_duplicates()
    # the ambiguous namesakes' DECEASED_SUSPECT rows are scored apart (below)
    is_ambiguous = exceptions[KEY].apply(tuple, axis=1).isin(set(ambiguous.apply(tuple, axis=1)))
    scored = exceptions[~(is_ambiguous & (exceptions["rule"] == "DECEASED_SUSPECT"))]
    rows = []
    for code in RULES:
        expected = truth[truth["rule"] == code][KEY].drop_duplicates()
        found = scored[scored["rule"] == code][KEY].drop_duplicates()
        hits = expected.merge(found, on=KEY)
        rows.append({
            "rule": code, "truth": len(expected), "found": len(found), "true_positive": len(hits),
            "recall": len(hits) / len(expected) if len(expected) else float("nan"),
            "precision": len(hits) / len(found) if len(found) else float("nan"),
        })
    per_rule = pd.DataFrame(rows)

    dead = truth[truth["rule"].isin(DECEASED)][KEY].drop_duplicates()
    reported = scored[scored["rule"].isin(DECEASED)][KEY].drop_duplicates()
    deceased_recall = len(dead.merge(reported, on=KEY)) / len(dead) if len(dead) else float("nan")

    paid = exceptions[exceptions["rule"] == "DECEASED_PAID"]
    paid_precision = len(paid[KEY].drop_duplicates().merge(dead, on=KEY)) / len(paid) if len(paid) else float("nan")

    true_paid = truth[truth["rule"] == "DECEASED_PAID"][KEY + ["months_overpaid"]]
    joined = true_paid.merge(paid[KEY + ["months_overpaid"]], on=KEY, suffixes=("_truth", "_found"))
    exact = (pd.to_numeric(joined["months_overpaid_truth"]) == pd.to_numeric(joined["months_overpaid_found"])).sum()
    months_exact = exact / len(true_paid) if len(true_paid) else float("nan")

    negatives = truth[truth["rule"] == "HARD_NEGATIVE"][KEY].drop_duplicates()
    hard_paid = len(negatives.merge(paid[KEY], on=KEY))
    suspected = exceptions[exceptions["rule"] == "DECEASED_SUSPECT"][KEY].drop_duplicates()
    hard_suspect = len(negatives.merge(suspected, on=KEY))
    return Accuracy(per_rule, deceased_recall, paid_precision, months_exact, hard_paid, hard_suspect,
                    ambiguous=len(ambiguous), ambiguous_shared=len(ambiguous.merge(shared, on=KEY)),
                    ambiguous_paid=len(ambiguous.merge(paid[KEY].drop_duplicates(), on=KEY)))


def evaluate_files(truth_path: Path, exceptions_path: Path) -> Accuracy:
    read = lambda p: pd.read_csv(p, dtype=str, keep_default_na=False).replace({"": None})  # noqa: E731
    return evaluate(read(truth_path), read(exceptions_path))
