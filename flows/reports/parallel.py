"""Many small workbooks on both cores: a city's ≈ 8,000 villages.

xlsx writing is CPU-bound Python (openpyxl ≈ 20-40 ms a village workbook), so threads do
not help; batches of villages go to worker processes instead.  A pool costs ≈ 2-3 s to
start (spawned workers import pandas and openpyxl), so a township's dozen villages stay
in the calling process.  Rows reach the workers through the pool's pipe — never through
a file, a log line or a Prefect parameter.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

REPORT_WORKERS = 2  # the machine's two cores
PARALLEL_MIN_WORKBOOKS = 1000  # a district's ≈ 330 ledgers stay in one process: no gain there
BATCH_SIZE = 50


def run_batches(function: Callable[..., list], items: Sequence, *args: Any, workers: int = REPORT_WORKERS,
                min_items: int | None = None, batch_size: int | None = None) -> list:
    """function(batch, *args) for consecutive batches of `items`, results concatenated in
    order; in `workers` processes when there are at least `min_items` items
    (PARALLEL_MIN_WORKBOOKS unless given)."""
    min_items = PARALLEL_MIN_WORKBOOKS if min_items is None else min_items
    batch_size = BATCH_SIZE if batch_size is None else batch_size
    if workers < 2 or len(items) < min_items:
        return list(function(list(items), *args))
    batches = [list(items[i:i + batch_size]) for i in range(0, len(items), batch_size)]
    # spawn, not fork: the flow's process holds Prefect's and DuckDB's threads
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = pool.map(function, batches, *([arg] * len(batches) for arg in args))
        return [result for batch in done for result in batch]
