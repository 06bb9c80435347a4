"""Many small workbooks on both cores: a city's ≈ 8,000 villages.

xlsx writing is CPU-bound Python (the small writer ≈ 2-4 ms a village workbook, openpyxl
more), so threads do not help; batches of villages go to worker processes instead.  A
pool costs ≈ 2-3 s to start (spawned workers import pandas and openpyxl), so:

  * a month large enough for it gets one pool for its whole report step
    (`report_pool`), started as the step begins: the workers start up while the step
    queries the warehouse and writes exceptions.csv, then take the village workbooks and
    the ledgers (`start_batches`, without waiting: meanwhile the step's own process writes
    the township summaries and office lists) and the file encryption, with no second start;
  * otherwise (a township's dozen villages, a district's few hundred ledgers) every
    workbook is written in the calling process.

Rows reach the workers through the pool's pipe — never through a file, a log line or a
Prefect parameter.
"""
from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

REPORT_WORKERS = 2  # the machine's two cores
PARALLEL_MIN_WORKBOOKS = 1000  # a district's ≈ 330 ledgers stay in one process: no gain there
# A month with this many villages writes ≥ 1,000 workbooks (a village book and its ledgers).
PARALLEL_MIN_VILLAGES = 300
BATCH_SIZE = 50
# What a worker imports before its first batch (the writers, pandas, openpyxl).
WRITER_MODULES = ("flows.reports.workbooks", "flows.reports.ledgers", "flows.reports.protection")

_step_pool: list[Executor] = []   # the report step's pool while `report_pool` holds one


@contextlib.contextmanager
def report_pool(villages: int, workers: int = REPORT_WORKERS) -> Iterator[Executor | None]:
    """One pool for a report step that has at least PARALLEL_MIN_VILLAGES villages:
    run_batches uses it for every batch of the step.  Yields None (no pool) otherwise."""
    if workers < 2 or villages < PARALLEL_MIN_VILLAGES or _step_pool:
        yield None
        return
    # spawn, not fork: the flow's process holds Prefect's and DuckDB's threads
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(_import_writers)   # each worker starts up now, not at its first batch
    _step_pool.append(pool)
    try:
        yield pool
    finally:
        _step_pool.clear()
        pool.shutdown(wait=True, cancel_futures=True)


def _import_writers() -> None:
    import importlib

    for name in WRITER_MODULES:
        importlib.import_module(name)


class Pending:
    """Batches on their way to the report step's pool: `result()` waits for them and gives
    their results concatenated in order, passed through `finish`."""

    def __init__(self, parts: Iterable[list], finish: Callable[[list], Any] = list):
        self._parts, self._finish, self._value, self._done = parts, finish, None, False

    def result(self) -> Any:
        if not self._done:
            self._value, self._done = self._finish([r for part in self._parts for r in part]), True
        return self._value


def start_batches(function: Callable[..., list], items: Sequence, *args: Any, workers: int = REPORT_WORKERS,
                  min_items: int | None = None, batch_size: int | None = None,
                  finish: Callable[[list], Any] = list) -> Pending:
    """function(batch, *args) for consecutive batches of `items`: in the report step's pool
    when one is running, without waiting (the caller writes other files meanwhile, and
    calls result()); else in `workers` new processes when there are at least `min_items`
    items (PARALLEL_MIN_WORKBOOKS unless given), else in this process, done on return."""
    min_items = PARALLEL_MIN_WORKBOOKS if min_items is None else min_items
    batch_size = BATCH_SIZE if batch_size is None else batch_size
    if workers < 2 or not items or (not _step_pool and len(items) < min_items):
        return Pending([function(list(items), *args)], finish)
    batches = [list(items[i:i + batch_size]) for i in range(0, len(items), batch_size)]
    if _step_pool:
        return Pending(_mapped(_step_pool[0], function, batches, args), finish)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return Pending(list(_mapped(pool, function, batches, args)), finish)


def run_batches(function: Callable[..., list], items: Sequence, *args: Any, **options: Any) -> list:
    """start_batches, waiting for the results."""
    return start_batches(function, items, *args, **options).result()


def _mapped(pool: Executor, function: Callable[..., list], batches: list[list], args: tuple) -> Iterator[list]:
    """Every batch submitted now (Executor.map); their results, in order, as they are taken."""
    return pool.map(function, batches, *([arg] * len(batches) for arg in args))
