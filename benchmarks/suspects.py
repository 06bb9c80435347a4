"""Fuzzy death matching on generated data: recall per fault category, precision of
DECEASED_SUSPECT, candidate pairs scored, the threshold and the chance suspicions the run
expects, and the share of suspicions per evidence pattern.

    .venv/bin/python benchmarks/suspects.py --scale township --seed 11
    .venv/bin/python benchmarks/suspects.py --scale district --seed 3
    .venv/bin/python benchmarks/suspects.py --scale city --districts 10 --seed 7 --check

--check makes it a benchmark with an assertion (exit 1): every death found, no living person
flagged, DECEASED_PAID exact and months_overpaid exact — the bar of issue 18 at >= 250k
recipients (ten districts of the city generator), too heavy for make test (≈ 4 minutes of
generation and 5–10 of run on this 2-core machine).

Runs the pipeline's own functions (no Prefect).  Not part of `make test`.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The scratch warehouse is encrypted like any other: with a throw-away key unless one is set.
os.environ.setdefault("DIBAO_WAREHOUSE_KEY", "benchmark-" + secrets.token_hex(8))

from flows import pipeline, warehouse  # noqa: E402
from flows.reports.month import month_exceptions  # noqa: E402
from flows.config import folder_overrides, load_settings  # noqa: E402
from flows.generate import generate  # noqa: E402
from flows.normalize.names import normalize_name  # noqa: E402

DECEASED = ("DECEASED_PAID", "DECEASED_SUSPECT")
AMBIGUOUS = "AMBIGUOUS_NAMESAKE"


def run(scale: str, seed: int, month: str, work: Path, districts: int | None = None) -> dict:
    raw = work / "raw"
    started = time.perf_counter()
    if districts:
        from flows.generate.city_world import generate_city

        generate_city(seed, month, raw, districts=districts)
    else:
        generate(scale, seed, month, raw)
    generated = time.perf_counter() - started
    settings = load_settings()
    overrides = folder_overrides(raw)
    plan = pipeline.plan_run(settings, month, overrides=overrides, out_dir=work / "out", db_path=work / "w.duckdb")
    with warehouse.run_connection(plan.db_path):   # the steps' temporary raw_* and norm_* tables
        pipeline.load_sources(plan.db_path, plan, settings)
        pipeline.normalise(plan.db_path, plan, settings)
        started = time.perf_counter()
        pipeline.match(plan.db_path, plan, settings)
        matched = time.perf_counter() - started
    con = warehouse.connect(plan.db_path)
    try:
        found = month_exceptions(con, month)
        summary = con.execute("select * from suspect_match_summary").df().iloc[0].to_dict()
        patterns = con.execute(
            "select s.evidence_pattern, count(*) as suspicions from suspect_scores s "
            "join (select member_key, max(score) as score from suspect_scores group by 1) b using (member_key, score) "
            "where s.score >= $t group by 1 order by 2 desc", {"t": settings.suspect_min_probability}).df()
    finally:
        con.close()
    truth = pd.read_csv(raw / "truth.csv", dtype=str, keep_default_na=False)
    return {"generated_s": generated, "match_s": matched, "truth": truth, "found": found,
            "summary": summary, "patterns": patterns}


def report(result: dict) -> list[str]:
    truth, found = result["truth"].copy(), result["found"].copy()
    for frame in (truth, found):
        frame["key"] = frame["household_id"].fillna("").astype(str) + "|" + frame["name"].map(
            lambda n: normalize_name(n) or "")
    dead_found = set(found.loc[found["rule"].isin(DECEASED), "key"])
    suspect_found = set(found.loc[found["rule"] == "DECEASED_SUSPECT", "key"])
    paid_found = set(found.loc[found["rule"] == "DECEASED_PAID", "key"])
    dead_truth = set(truth.loc[truth["rule"].isin(DECEASED), "key"])
    # namesakes of one village one death record without an ID fits (issue 29): scored apart
    ambiguous = set(truth.loc[truth["rule"] == AMBIGUOUS, "key"])
    suspects = found[found["rule"] == "DECEASED_SUSPECT"]
    shared = set(suspects.loc[(pd.to_numeric(suspects["score"]) <= 0.5)
                              & suspects["detail"].fillna("").str.contains("请核实是哪一位"), "key"])
    attr_found = set(found.loc[found["rule"] == "ID_ATTR_MISMATCH", "key"])
    lines = [f"{'category':<100}{'n':>5}{'found':>7}"]
    for (rule, fault), rows in truth[truth["rule"].isin(DECEASED + ("HARD_NEGATIVE",))].groupby(["rule", "fault"]):
        hit = rows["key"].isin(dead_found if rule != "HARD_NEGATIVE" else dead_found).sum()
        lines.append(f"{rule + ': ' + fault:<100}{len(rows):>5}{hit:>7}")
    suspect_found -= ambiguous
    false_suspects = suspect_found - dead_truth
    false_paid = paid_found - dead_truth
    column = truth.loc[(truth["rule"] == "DECEASED_SUSPECT") & truth["fault"].str.contains("出生日期"), "key"]
    lines += [
        f"deceased recall: {len(dead_truth & dead_found)}/{len(dead_truth)}",
        f"DECEASED_SUSPECT precision: {len(suspect_found & dead_truth)}/{len(suspect_found)} "
        f"(living people flagged: {len(false_suspects)})",
        f"DECEASED_PAID precision: {len(paid_found & dead_truth)}/{len(paid_found)} (false: {len(false_paid)})",
        f"roster-出生日期 deaths found DECEASED_SUSPECT with ID_ATTR_MISMATCH: "
        f"{len(set(column) & suspect_found & attr_found)}/{len(set(column))}",
        f"ambiguous namesakes DECEASED_SUSPECT at <= 0.5 with 请核实是哪一位: {len(ambiguous & shared)}/{len(ambiguous)} "
        f"(DECEASED_PAID: {len(ambiguous & paid_found)})",
    ]
    true_paid = truth[truth["rule"] == "DECEASED_PAID"].set_index("key")["months_overpaid"]
    got = found[found["rule"] == "DECEASED_PAID"].drop_duplicates("key").set_index("key")["months_overpaid"]
    joined = pd.concat([pd.to_numeric(true_paid), pd.to_numeric(got)], axis=1, join="inner")
    lines.append(f"months_overpaid exact: {(joined.iloc[:, 0] == joined.iloc[:, 1]).sum()}/{len(true_paid)}")
    lines.append("matching: " + json.dumps(result["summary"], default=float))
    lines.append(f"match stage {result['match_s']:.1f} s; generation {result['generated_s']:.1f} s")
    patterns = result["patterns"]
    total = patterns["suspicions"].sum() or 1
    lines.append("suspicions per evidence pattern:")
    lines += [f"  {row.evidence_pattern:<70}{row.suspicions:>6}{row.suspicions / total:>8.1%}"
              for row in patterns.itertuples()]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="township", choices=("township", "district", "city"))
    parser.add_argument("--districts", type=int, help="city only: the first N districts")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--month", default="2020-05")
    parser.add_argument("--check", action="store_true", help="exit 1 unless the bar of issue 18 holds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        lines = report(run(args.scale, args.seed, args.month, Path(work), args.districts))
    print("\n".join(lines))
    if args.check:
        failed = [line for line in lines if _misses(line)]
        for line in failed:
            print("FAILED:", line)
        return 1 if failed else 0
    return 0


def _misses(line: str) -> bool:
    """A summary line whose two counts differ, or that names a living person flagged."""
    for label in ("deceased recall:", "DECEASED_SUSPECT precision:", "DECEASED_PAID precision:",
                  "months_overpaid exact:", "roster-出生日期 deaths found DECEASED_SUSPECT with ID_ATTR_MISMATCH:",
                  "ambiguous namesakes DECEASED_SUSPECT at <= 0.5 with 请核实是哪一位:"):
        if line.startswith(label):
            found, total = line[len(label):].split("(")[0].strip().split("/")
            return int(found) != int(total)
    return False


if __name__ == "__main__":
    sys.exit(main())
