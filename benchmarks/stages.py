"""Wall time and peak memory of each stage of a monthly run, on generated data.

    .venv/bin/python benchmarks/stages.py --scale township
    .venv/bin/python benchmarks/stages.py --scale district --seed 3

Stages run as the flow runs them (same functions), without Prefect, so the figures are
the pipeline's own.  Peak memory is the process's resident set size sampled every 20 ms
during the stage.  Not part of `make test`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import pipeline, retention  # noqa: E402
from flows.reports import month as month_reports  # noqa: E402
from flows.config import load_settings  # noqa: E402
from flows.evaluate import evaluate_files  # noqa: E402
from flows.generate import generate  # noqa: E402

PAGE = 4096


class PeakRss:
    """Samples /proc/self/statm in a thread; `peak` is the highest RSS seen since start()."""

    def __init__(self) -> None:
        self.peak = 0
        self._running = False

    def _rss(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * PAGE

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.02)

    def __enter__(self):
        self.peak, self._running = self._rss(), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="township", choices=("township", "district", "city"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--month", default="2020-05")
    args = parser.parse_args()
    # The benchmark's warehouse is thrown away with its temporary folder: so is its key.
    os.environ.setdefault("DIBAO_WAREHOUSE_KEY", secrets.token_urlsafe(32))

    rows = []

    def stage(name, function, *a, **kw):
        with PeakRss() as rss:
            started = time.perf_counter()
            result = function(*a, **kw)
            rows.append((name, time.perf_counter() - started, rss.peak))
        return result

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        summary = stage("generate", generate, args.scale, args.seed, args.month, raw)
        settings = load_settings()
        inputs = {"roster": [raw / "roster"], "police_deaths": [raw / "deaths"],
                  "population": [raw / "population"], "cremation": [raw / "cremation"]}
        plan = pipeline.plan_run(settings, args.month, overrides={k: [str(p) for p in v] for k, v in inputs.items()},
                                 out_dir=tmp / "out", db_path=tmp / "warehouse.duckdb")
        for name in ("poverty", "assistance"):      # optional registries, when generated
            plan.inputs[name] = sorted((raw / name).glob("*.*")) if (raw / name).is_dir() else []
        work_out = tmp / "work_out"
        work_out.mkdir()
        started_at = dt.datetime.now()
        lineage = stage("load", pipeline.load_sources, plan.db_path, plan, settings)
        rejects = stage("normalise", pipeline.normalise, plan.db_path, plan, settings)
        health = stage("check sources", pipeline.check_sources, plan.db_path, plan, settings)
        rule_seconds: dict[str, float] = {}
        counts = stage("match", pipeline.match, plan.db_path, plan, settings, seconds=rule_seconds)
        stage("report", month_reports.write_all, plan.db_path, work_out, plan, settings,
              {"started_at": started_at, "lineage": lineage, "rejects_by_file": rejects, "counts": counts,
               "source_health": health})
        stage("keep less", retention.forget_input_rows, plan.db_path)
        accuracy = evaluate_files(raw / "truth.csv", work_out / "exceptions.csv")

    print(f"scale={args.scale} seed={args.seed} roster={summary['roster_rows']} deaths={summary['deaths_rows']} "
          f"population={summary['population_rows']} cremation={summary['cremation_rows']}")
    print(f"{'stage':<16}{'seconds':>10}{'peak RSS MiB':>15}")
    for name, seconds, peak in rows:
        print(f"{name:<16}{seconds:>10.2f}{peak / 2**20:>15.0f}")
    pipeline_seconds = sum(s for n, s, _ in rows if n != "generate")
    fuzzy = rule_seconds.get("DECEASED_SUSPECT", 0.0)
    print(f"{'pipeline total':<16}{pipeline_seconds:>10.2f}")
    print(f"fuzzy DECEASED_SUSPECT (blocking + scoring): {fuzzy:.2f} s = {fuzzy / pipeline_seconds:.1%} of the pipeline")
    print("slowest rules: " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(rule_seconds.items(), key=lambda kv: -kv[1])[:4]))
    print(f"exceptions: {sum(counts.values())}")
    for line in accuracy.lines():
        print(line)


if __name__ == "__main__":
    main()
