"""A national month, measured and simulated: what ≈ 2,800 county runs and one central
cross-county check would cost.

    .venv/bin/python benchmarks/national.py                                  # national size
    .venv/bin/python benchmarks/national.py --counties 280 --scale-down      # a quick try
    .venv/bin/python benchmarks/national.py --no-pool --counties 2800        # the central check only

Printed, in one run:
  (a) county runs through Prefect: a local Prefect server (as `dibao serve` starts one), a
      *process* work pool, two workers on this machine (one county flow each at a time),
      and `dibao city --pool` over generated counties of district size (`--scale district`
      of the generator; township size with --scale-down): start-up, scheduling, each
      county's reconcile and apply step, the central check and roll-ups, as Prefect
      recorded them.  The per-county cost is the machine time one county takes on this
      2-core machine: the span of a step's runs divided by the counties.
  (b) the central check at national size: ≈ 66M roster keys and ≈ 11M death keys from
      `--counties` counties (23,571 and 3,929 per county), generated directly in DuckDB
      as keyed hashes (64 hex characters, the shape of roster_keys.parquet and
      death_keys.parquet) into the city warehouse (encrypted, `[engine] memory_limit`
      of the default config), then the product's own SQL (sql/counties/cross_*.sql)
      and the split of its findings into one findings.parquet per county, as
      flows/counties/central_check.py does.  Loading the exchange files and their bytes are
      measured on `--exchange-sample` counties written exactly as export_keys writes
      them, and extrapolated to all counties (said so where printed).
  (c) the month's wall time on `--workers` two-core machines, from (a) and (b).

Peak memory is the resident set size of the processes named (and their children),
sampled every 20 ms.  Everything lives in a temporary folder with an explicit config,
a throw-away warehouse key and city key; PREFECT_HOME is in that folder.  No name or
ID number is generated for (b): the keys are hashes of row numbers.  Not part of
`make test`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
# Everything this benchmark writes is thrown away with its temporary folder: so are its keys.
os.environ.setdefault("DIBAO_WAREHOUSE_KEY", "benchmark-" + secrets.token_hex(16))
os.environ.setdefault("DIBAO_CITY_KEY", "benchmark-city-" + secrets.token_hex(16))

from stages import PeakRss, tree_rss  # noqa: E402

NATIONAL_COUNTIES = 2800
ROSTER_KEYS = 66_000_000        # 低保, 特困 and the other low-income categories
DEATH_KEYS = 11_000_000         # police and cremation deaths the counties send
POOL = "dibao-national"
MiB = 2**20


# --- (b) the central check at national size --------------------------------------------

def county_key_sql(expression: str) -> str:
    return f"'c' || lpad(cast({expression} as varchar), 4, '0')"


def roster_keys_sql(counties: int, rows: int) -> str:
    """city_roster_keys rows: county i holds a contiguous block of row numbers; every
    1,000th row is the person of a row three counties further on (DUPLICATE_BENEFIT)."""
    county = f"(i * {counties} // {rows})"
    person = f"case when i % 1000 = 7 then (i + 3 * {rows} // {counties} + 11) % {rows} else i end"
    return (f"insert into city_roster_keys select $month, {county_key_sql(county)}, 'run-' || {county}, "
            f"i - ({county} * {rows} + {counties} - 1) // {counties}, sha256($salt || cast({person} as varchar)) "
            f"from range({rows}) t(i)")


def death_keys_sql(counties: int, rows: int, roster_rows: int) -> str:
    """city_death_keys rows: every 50th death is a roster member of any county (mostly
    another one: DECEASED_PAID), the rest people on no roster; death dates spread over
    2015-01-01 .. 2020-06-22, so a few fall after the month and must not count."""
    county = f"(j * {counties} // {rows})"
    person = f"case when j % 50 = 0 then (j * 7919) % {roster_rows} else {roster_rows} + j end"
    return (f"insert into city_death_keys select $month, {county_key_sql(county)}, "
            f"case when j % 3 = 0 then '火化' else '公安' end, sha256($salt || cast({person} as varchar)), "
            f"date '2015-01-01' + cast(j * 37 % 2000 as integer) from range({rows}) t(j)")


def counties_sql(counties: int) -> str:
    return (f"create or replace table city_counties as select {county_key_sql('i')} as county, "
            f"'县' || cast(i as varchar) as county_name from range({counties}) t(i)")


def central_check(tmp: Path, counties: int, month: str, sample: int) -> dict:
    import pandas as pd

    from flows import warehouse
    from flows.config import load_settings
    from flows.counties import central_check
    from flows.counties import county as county_steps
    from flows.normalize.dates import month_bounds

    warehouse.use_engine(load_settings(None))    # the default config's memory_limit
    roster_rows = counties * ROSTER_KEYS // NATIONAL_COUNTIES
    death_rows = counties * DEATH_KEYS // NATIONAL_COUNTIES
    _, month_end = month_bounds(month)
    out: dict = {"counties": counties, "roster_keys": roster_rows, "death_keys": death_rows}
    db = tmp / "city" / "city.duckdb"
    db.parent.mkdir(parents=True)
    con = warehouse.connect(db)
    try:
        for name in ("counties/city_roster_keys", "counties/city_death_keys", "counties/city_findings"):
            warehouse.run_sql(con, name)
        with PeakRss() as rss:
            started = time.perf_counter()
            salt = secrets.token_hex(16)
            con.execute(counties_sql(counties))
            con.execute(roster_keys_sql(counties, roster_rows), {"month": month, "salt": salt})
            con.execute(death_keys_sql(counties, death_rows, roster_rows), {"month": month, "salt": salt})
            con.execute("checkpoint")
            out["generate"] = (time.perf_counter() - started, rss.peak)
        print(f"[generated {roster_rows:,} roster and {death_rows:,} death keys in {out['generate'][0]:.0f} s]",
              file=sys.stderr, flush=True)

        out |= exchange_sample(con, tmp / "sample", month, min(sample, counties))
        params = {"month": month, "month_end": month_end}
        rules = {}
        with PeakRss() as check_rss:
            started, cpu = time.perf_counter(), time.process_time()
            con.execute("begin transaction")
            for rule in ("counties/cross_duplicate_benefit", "counties/cross_deceased_paid"):
                with PeakRss() as rss:
                    begun = time.perf_counter()
                    warehouse.run_sql(con, rule, params, prefix="insert into city_findings by name ")
                    rules[rule.split("/")[1]] = (time.perf_counter() - begun, rss.peak)
                print(f"[{rule} {rules[rule.split('/')[1]][0]:.1f} s]", file=sys.stderr, flush=True)
            con.execute("commit")
            # flows/counties/central_check.py's split: one findings.parquet per county
            begun = time.perf_counter()
            findings = warehouse.query_sql(con, "counties/month_findings", {"month": month})
            exchange = tmp / "exchange"
            folders = {f"c{i:04d}": exchange / f"c{i:04d}" for i in range(counties)}
            for folder in folders.values():
                folder.mkdir(parents=True)
            central_check.write_county_findings(findings, folders)
            rules["findings to counties"] = (time.perf_counter() - begun, check_rss.peak)
            out["check"] = (time.perf_counter() - started, check_rss.peak)
            out["check_cpu"] = time.process_time() - cpu
        out["rules"] = rules
        out["findings"] = dict(findings.groupby("rule").size())
        out["expected_duplicates"] = expected_duplicates(roster_rows)
        shutil.rmtree(exchange, ignore_errors=True)
    finally:
        con.close()
    db.unlink(missing_ok=True)
    return out


def expected_duplicates(roster_rows: int) -> int:
    """DUPLICATE_BENEFIT rows the keys were built to hold: each 1,000th row and the row
    whose person it repeats, three counties on (see roster_keys_sql)."""
    return 2 * len(range(7, roster_rows, 1000))


def exchange_sample(con, folder: Path, month: str, sample: int) -> dict:
    """Bytes of `sample` counties' exchange files written as export_keys writes them
    (pandas, pyarrow, no index), and the seconds central_check's load takes for them."""
    import pandas as pd

    from flows.counties import county as county_steps

    folder.mkdir(parents=True)
    sizes = {"roster": 0, "deaths": 0}
    rows = {"roster": 0, "deaths": 0}
    for i in range(sample):
        key = f"c{i:04d}"
        roster = con.execute("select county, run_id, ref, id_hash from city_roster_keys where county = ? "
                             "and month = ? order by ref", [key, month]).df()
        deaths = con.execute("select county, source, id_hash, death_date from city_death_keys where county = ? "
                             "and month = ?", [key, month]).df()
        deaths["death_date"] = pd.to_datetime(deaths["death_date"]).dt.date
        (folder / key).mkdir()
        roster.to_parquet(folder / key / county_steps.ROSTER_KEYS, index=False)
        deaths.to_parquet(folder / key / county_steps.DEATH_KEYS, index=False)
        sizes["roster"] += (folder / key / county_steps.ROSTER_KEYS).stat().st_size
        sizes["deaths"] += (folder / key / county_steps.DEATH_KEYS).stat().st_size
        rows["roster"] += len(roster)
        rows["deaths"] += len(deaths)
    # central_check's load: the product's own statement (sql/counties/load_keys.sql), into
    # temporary tables of the same columns (the real ones hold all counties)
    from flows import warehouse

    con.execute("create temp table load_roster as select * from city_roster_keys limit 0")
    con.execute("create temp table load_deaths as select * from city_death_keys limit 0")
    started = time.perf_counter()
    for table, file in (("load_roster", county_steps.ROSTER_KEYS), ("load_deaths", county_steps.DEATH_KEYS)):
        warehouse.run_sql(con, "counties/load_keys",
                          {"files": [str(folder / f"c{i:04d}" / file) for i in range(sample)], "month": month},
                          fragments={"table": warehouse.ident(table)})
    load = time.perf_counter() - started
    con.execute("drop table load_roster")
    con.execute("drop table load_deaths")
    shutil.rmtree(folder)
    return {"sample": sample, "sample_bytes": sizes, "sample_rows": rows, "sample_load": load}


# --- (a) county runs through a Prefect process work pool -----------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_bench_config(tmp: Path) -> Path:
    """The default config with the run's own locations inside `tmp` (counties override
    warehouse, out folder and sources in the city config)."""
    config = tmp / "bench.toml"
    config.write_text(f'extends = "{ROOT / "configs" / "default.toml"}"\n[project]\n'
                      f'warehouse = "{tmp / "unused-warehouse.duckdb"}"\n'
                      f'out_dir = "{tmp / "unused-out" / "{month}"}"\n', encoding="utf-8")
    return config


GENERATE_SCRIPT = """
import json, sys
from pathlib import Path
from flows.generate import generate
made = generate(sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
print(json.dumps({"scale": sys.argv[1], "roster_rows": made["roster_rows"]}))
"""


def generate_counties(raw: Path, scale: str, n: int, month: str) -> tuple[float, int]:
    """n counties of `scale`, seeds 1..n, each as `dibao generate` makes one, two at a time
    in their own processes (their memory is not this process's); kept when already in
    `raw`.  Seconds, and roster rows in all."""
    started = time.perf_counter()
    pending = []
    for i in range(n):
        folder = raw / f"county{i + 1}"
        if (folder / "counts.json").is_file():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        pending.append(folder)
    while pending:
        batch, pending = pending[:2], pending[2:]
        running = [(folder, subprocess.Popen(
            [sys.executable, "-c", GENERATE_SCRIPT, scale, folder.name.removeprefix("county"), month, str(folder)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)) for folder in batch]
        for folder, process in running:
            stdout, _ = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"generating {folder.name} failed")
            (folder / "counts.json").write_text(stdout.strip().splitlines()[-1], encoding="utf-8")
    rows = sum(json.loads((raw / f"county{i + 1}" / "counts.json").read_text(encoding="utf-8"))["roster_rows"]
               for i in range(n))
    return time.perf_counter() - started, rows


def pool_month(tmp: Path, raw: Path, scale: str, n: int, month: str, query_seconds: int) -> dict:
    from flows.generate.counties import county_keys, write_city_config

    tmp.mkdir(parents=True, exist_ok=True)
    generated, rosters = generate_counties(raw, scale, n, month)
    config = write_city_config(raw, county_keys(n), work_dir=tmp / "work", base_config=write_bench_config(tmp))
    home = tmp / "prefect-server"
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    logs = tmp / "logs"
    logs.mkdir()
    server_env = {**os.environ, "PREFECT_HOME": str(home)}
    server_env.pop("PREFECT_API_URL", None)
    client_env = {**os.environ, "PREFECT_API_URL": url, "PREFECT_HOME": str(tmp / "prefect-client"),
                  "DIBAO_LOG_DIR": str(tmp / "dibao-logs"), "PREFECT_WORKER_QUERY_SECONDS": str(query_seconds),
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                  "PREFECT_LOGGING_LEVEL": "WARNING"}
    python = sys.executable
    processes: list[subprocess.Popen] = []
    try:
        started = time.perf_counter()
        with (logs / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [python, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env={**server_env, "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false",
                     "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                     "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'server.db'}"},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(server)
        wait_healthy(url, server)
        server_start = time.perf_counter() - started
        subprocess.run([python, "-m", "prefect", "work-pool", "create", POOL, "--type", "process"],
                       env=client_env, check=True, capture_output=True, timeout=300)
        for worker in (1, 2):
            with (logs / f"worker{worker}.log").open("wb") as log:
                processes.append(subprocess.Popen(
                    [python, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", f"worker{worker}",
                     "--limit", "1"], env=client_env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True))
        city = [python, "-m", "flows.cli", "city", "--config", str(config), "--pool", POOL]
        deployed = subprocess.run([*city, "--deploy"], env=client_env, capture_output=True, text=True, timeout=300)
        if deployed.returncode != 0:
            raise RuntimeError(f"deploy failed: {deployed.stderr[-2000:]}")
        time.sleep(2 * query_seconds)     # both workers have polled once: they are up
        begun_at = time.time()
        started = time.perf_counter()
        process = subprocess.Popen([*city, "--month", month], env=client_env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        processes.append(process)
        with PeakRss(os.getpid()) as rss:   # this process's children: server, workers, city, county flows
            stdout, stderr = process.communicate(timeout=6 * 3600)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"dibao city exited {process.returncode}: {(stdout + stderr)[-2000:]}")
        runs = flow_runs(client_env)
        rollups = time_rollups(config, month, tmp / "rollups")
    finally:
        for process in reversed(processes):
            stop(process)
    return {"scale": scale, "counties": n, "generate": generated, "server_start": server_start,
            "wall": wall, "peak": rss.peak, "begun_at": begun_at, "query_seconds": query_seconds,
            "roster_rows": rosters, "rollups": rollups, **runs}


def time_rollups(config: Path, month: str, folder: Path) -> float:
    """Seconds check.write_rollups takes again for the month just run (附件4 per county and
    the city's), to scale the roll-ups to all counties."""
    from flows.counties import central_check as check
    from flows.counties.city_config import load_city

    started = time.perf_counter()
    check.write_rollups(load_city(config), month, folder, filled_on=dt.date.today())
    return time.perf_counter() - started


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback: never via a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the Prefect server exited")
        try:
            with opener.open(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the Prefect server did not become healthy")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group a benchmark process leads, SIGKILL if it stays."""
    import signal

    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


FLOW_RUNS_SCRIPT = r"""
import json, time
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
with get_client(sync_client=True) as client:
    runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["county-reconciliation"])))
    started = time.perf_counter()
    for run in runs:
        client.read_flow_run(run.id)
    per_read = (time.perf_counter() - started) / max(len(runs), 1)
print(json.dumps({"per_read": per_read, "runs": [
    {"name": r.name, "state": r.state.name if r.state else None, "created": r.created.timestamp(),
     "start": r.start_time.timestamp() if r.start_time else None,
     "end": r.end_time.timestamp() if r.end_time else None} for r in runs]}))
"""


def flow_runs(env: dict) -> dict:
    """The county runs as the Prefect server recorded them (names hold county keys and
    steps only), and the seconds one read_flow_run takes (the city polls each run)."""
    done = subprocess.run([sys.executable, "-c", FLOW_RUNS_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- (c) the month on W workers ---------------------------------------------------------

def step_costs(pool: dict) -> dict:
    """Per step (reconcile, apply): the span from the first run's creation to the last
    run's end, machine seconds per county (span ÷ counties: two at a time on this
    2-core machine), each run's own seconds and its wait from creation to start (worker
    poll, process start-up, imports), and the seconds between two runs' creations."""
    steps = {}
    for step in ("reconcile", "apply"):
        runs = [r for r in pool["runs"] if f" {step} " in r["name"]]
        if not runs or any(r["end"] is None for r in runs):
            continue
        created = sorted(r["created"] for r in runs)
        span = max(r["end"] for r in runs) - created[0]
        steps[step] = {
            "runs": len(runs), "first_created": created[0], "last_end": max(r["end"] for r in runs),
            "span": span, "per_county": span / len(runs), "round": span / math.ceil(len(runs) / 2),
            "run_seconds": sum(r["end"] - r["start"] for r in runs) / len(runs),
            "wait": sum(r["start"] - r["created"] for r in runs) / len(runs),
            "dispatch": (created[-1] - created[0]) / max(len(runs) - 1, 1)}
    return steps


def simulate(pool: dict, steps: dict, check: dict, workers: int, counties: int) -> dict:
    """The month on `workers` two-core machines, each taking counties two at a time as this
    machine did (a round: two counties side by side, scheduling included); the central
    check and the city's start-up, polling and roll-ups between."""
    per_machine = math.ceil(counties / workers)
    rounds = math.ceil(per_machine / 2)
    start_up = steps["reconcile"]["first_created"] - pool["begun_at"]        # CLI, flow, deployment lookup
    # after the last apply: the city's poll, roll-ups (scaled from the few counties: an
    # upper bound, the city's own workbook counted per county), city.json, exit
    end = pool["begun_at"] + pool["wall"] - steps["apply"]["last_end"] - pool["rollups"]
    rollups = pool["rollups"] / pool["counties"] * counties
    # The city creates one run per county and reads each run's state every poll: both
    # grow with the counties (measured per run, applied to all of them).
    dispatch = {s: counties * steps[s]["dispatch"] for s in steps}
    poll = counties * pool["per_read"]
    parts = {}
    for step in ("reconcile", "apply"):
        work = rounds * steps[step]["round"]
        parts[step] = max(work, dispatch[step]) + poll
    load = check["sample_load"] / check["sample"] * counties
    parts["central check"] = load + check["check"][0]
    parts["start-up, roll-ups"] = start_up + max(end, 0) + rollups
    return {"per_machine": per_machine, "rounds": rounds, "parts": parts, "total": sum(parts.values()), "load": load,
            "dispatch": dispatch, "poll": poll, "rollups": rollups}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=NATIONAL_COUNTIES,
                        help="counties of the central check and the simulated month (default 2800)")
    parser.add_argument("--scale-down", action="store_true",
                        help="township-size county runs in (a) instead of district-size: a quick try")
    parser.add_argument("--pool-counties", type=int, default=4, help="county runs measured in (a) (2..5)")
    parser.add_argument("--workers", type=int, default=100, help="two-core worker machines of the month (c)")
    parser.add_argument("--month", default="2020-05")
    parser.add_argument("--raw", type=Path, help="generated counties of (a): reused when there, else made there")
    parser.add_argument("--query-seconds", type=int, default=5,
                        help="PREFECT_WORKER_QUERY_SECONDS: how often a worker asks for runs (default 5)")
    parser.add_argument("--exchange-sample", type=int, default=20,
                        help="counties whose exchange files are written and loaded, to size all (default 20)")
    parser.add_argument("--no-pool", action="store_true", help="only (b), the central check")
    parser.add_argument("--no-check", action="store_true", help="only (a), the county runs")
    args = parser.parse_args()
    if not 2 <= args.pool_counties <= 5:
        parser.error("--pool-counties: 2..5 (the city config names five counties)")
    scale = "township" if args.scale_down else "district"
    print(f"national month benchmark: {args.counties} counties, county runs of {scale} size, "
          f"{args.workers} workers; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB", flush=True)
    with tempfile.TemporaryDirectory(prefix="dibao-national-") as tmp:
        tmp = Path(tmp)
        pool = steps = check = None
        if not args.no_pool:
            pool = pool_month(tmp / "pool", args.raw or tmp / "raw", scale, args.pool_counties, args.month,
                              args.query_seconds)
            steps = step_costs(pool)
            print_pool(pool, steps)
        if not args.no_check:
            check = central_check(tmp / "check", args.counties, args.month, args.exchange_sample)
            print_check(check)
        if pool and check and len(steps) == 2:
            print_month(pool, steps, check, args.workers, args.counties, scale)


def print_pool(pool: dict, steps: dict) -> None:
    print(f"\n(a) {pool['counties']} counties of {pool['scale']} size ({pool['roster_rows']:,} roster rows in all; "
          f"generated in {pool['generate']:.0f} s) through a Prefect process work pool, two workers on this "
          f"machine, one county flow each at a time, workers asking every {pool['query_seconds']} s")
    print(f"    Prefect server start {pool['server_start']:.1f} s (once, not counted below)")
    print(f"    `dibao city --pool` end to end {pool['wall']:.1f} s, peak RSS {pool['peak'] / MiB:.0f} MiB "
          "(server, workers, the city and county flows)")
    print(f"    {'step':<11}{'runs':>5}{'span s':>9}{'round s':>9}{'per county s':>14}{'run s':>8}{'wait s':>8}"
          f"{'create s':>10}")
    for step, s in steps.items():
        print(f"    {step:<11}{s['runs']:>5}{s['span']:>9.1f}{s['round']:>9.1f}{s['per_county']:>14.1f}"
              f"{s['run_seconds']:>8.1f}{s['wait']:>8.1f}{s['dispatch']:>10.2f}")
    print("    (span: first run created to last run ended; round: two counties side by side, span ÷ rounds; "
          "per county: span ÷ runs, the machine time of one county; run: a run's own start to end; "
          "wait: created to started — queue behind the other county, worker poll, process start, imports; "
          "create: between two runs' creations, the city creating them one by one)")
    between = steps["apply"]["first_created"] - steps["reconcile"]["last_end"]
    print(f"    between the steps (the city's poll, its check of {pool['counties']} counties, run creation) "
          f"{between:.1f} s; start-up (CLI to the first run created) "
          f"{steps['reconcile']['first_created'] - pool['begun_at']:.1f} s; after the last apply (roll-ups, exit) "
          f"{pool['begun_at'] + pool['wall'] - steps['apply']['last_end']:.1f} s")
    print(f"    one read_flow_run {pool['per_read'] * 1000:.0f} ms (the city polls every run every 2 s)")


def print_check(check: dict) -> None:
    n = check["counties"]
    print(f"\n(b) central cross-county check: {check['roster_keys']:,} roster keys, {check['death_keys']:,} death "
          f"keys from {n:,} counties (generated as keyed hashes in {check['generate'][0]:.0f} s)")
    for name, (seconds, peak) in check["rules"].items():
        print(f"    {name:<28}{seconds:>8.1f} s   peak RSS {peak / MiB:>6.0f} MiB")
    seconds, peak = check["check"]
    print(f"    {'check (rules + findings)':<28}{seconds:>8.1f} s   peak RSS {peak / MiB:>6.0f} MiB   "
          f"(CPU {check['check_cpu']:.0f} s; load average {os.getloadavg()[0]:.1f})")
    found = check["findings"]
    print("    findings: " + ", ".join(f"{k} {v:,}" for k, v in sorted(found.items()))
          + f" (DUPLICATE_BENEFIT built in: {check['expected_duplicates']:,})")
    s = check["sample"]
    roster_bytes, death_bytes = check["sample_bytes"]["roster"] / s, check["sample_bytes"]["deaths"] / s
    print(f"    exchange files, measured on {s} counties as export_keys writes them: roster_keys.parquet "
          f"{roster_bytes / MiB:.2f} MiB, death_keys.parquet {death_bytes / MiB:.2f} MiB per county "
          f"({check['sample_rows']['roster'] // s:,} and {check['sample_rows']['deaths'] // s:,} rows)")
    print(f"    all {n:,} counties (extrapolated): {(roster_bytes + death_bytes) * n / 2**30:.2f} GiB; "
          f"central_check's load (one read_parquet per kind of file) {check['sample_load'] / s * 1000:.0f} ms "
          f"per county, {check['sample_load'] / s * n:.0f} s for all (extrapolated)")


def print_month(pool: dict, steps: dict, check: dict, workers: int, counties: int, scale: str) -> None:
    month = simulate(pool, steps, check, workers, counties)
    print(f"\n(c) the month on {workers} two-core workers, {counties:,} counties ({month['per_machine']} per worker, "
          f"two at a time: {month['rounds']} rounds of each step at the {scale}-size cost measured in (a)):")
    for part, seconds in month["parts"].items():
        print(f"    {part:<22}{seconds:>8.0f} s")
    print(f"    {'month':<22}{month['total']:>8.0f} s = {month['total'] / 60:.1f} min")
    print(f"    (each step: max(rounds × round, {counties:,} run creations at "
          f"{steps['reconcile']['dispatch']:.2f} s) + one poll of {counties:,} runs ({month['poll']:.0f} s); "
          f"central check: load {month['load']:.0f} s (extrapolated) + rules and findings {check['check'][0]:.0f} s; "
          f"roll-ups {month['rollups']:.0f} s, scaled from {pool['rollups']:.1f} s for {pool['counties']} counties)")


if __name__ == "__main__":
    main()
