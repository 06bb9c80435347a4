"""Wall time and peak memory of each stage of a monthly run, the floor it is measured
against (every row of the same input files read once, and nothing else), and the CLI end
to end.

    .venv/bin/python benchmarks/stages.py --scale township
    .venv/bin/python benchmarks/stages.py --scale district --seed 3
    .venv/bin/python benchmarks/stages.py --scale city --raw /tmp/city_raw    # reuse inputs

Printed, in one run:
  * generate      the generator (skipped when --raw already holds inputs);
  * floor         every row of every input file read once, the way the product itself can
                  read it fastest: python-calamine over the workbooks (every cell into
                  Python), GB18030 CSVs decoded by Python's codec in 4 MB blocks to a UTF-8
                  scratch file then counted by DuckDB's `read_csv(all_varchar)`, UTF-8 CSVs
                  straight into `read_csv`; each part apart, and its peak memory;
  * old bare scan only with --extension-scan: DuckDB 1.4.4's `encodings` and `excel`
                  extensions over the same files (the README's earlier "bare scan"; GB18030
                  through `encodings` is several times slower than the floor's codec);
  * stages        load, normalise, check sources, match, report, keep less — the flow's own
                  functions, without Prefect — each with its peak memory, what this process
                  wrote to disk meanwhile (the warehouse, the step's files, and DuckDB's
                  spill files when the run's tables outgrow [engine] memory_limit) and how
                  much DuckDB holds in spill files when the stage ends, under the config's
                  [engine] settings as a run applies them (`--memory-limit` tries another
                  limit); the engine (load through match) and the stages' total as
                  multiples of the floor;
  * CLI           `dibao run` as a subprocess with an explicit temporary config, twice (a
                  fresh Prefect home, then a warm one; on by default below city scale), end
                  to end as a multiple of the floor;
  * accuracy      against truth.csv;
  * Splink        when Splink is installed (`make benchmark-splink`), a tuned Splink model
                  (benchmarks/splink_model.py, DuckDB backend) linking the same roster to the
                  same police death records in a process of its own: load, train and predict
                  seconds and peak memory, its multiple of the floor, and the deaths it finds
                  and the living people it flags beside the engine's, scored alike.
Peak memory is the resident set size of this process and its children (report workers,
the CLI's processes), sampled every 20 ms.  A stage that fails is named, and the stages
after it are skipped.  Not part of `make test`.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.config import source_folders  # noqa: E402

PAGE = 4096
# the engine: input files to exceptions (what the floor is compared with)
ENGINE_STAGES = ("load", "normalise", "check sources", "match")
# generated folder -> config source name
SOURCE_FOLDERS = {folder: name for name, folder in source_folders().items()}


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                out += [int(c) for c in handle.read().split()]
    except OSError:
        pass
    return out


def tree_rss(root: int) -> int:
    """RSS of `root` and all its descendants, in bytes."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
        todo += _children(pid)
    return total


def written_bytes() -> int:
    """What this process has caused to be written to storage so far (Linux's
    /proc/self/io write_bytes; 0 where it cannot be read)."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class PeakRss:
    """Samples the RSS of a process tree in a thread; `peak` is the highest seen."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root or os.getpid()
        self.peak = 0
        self._running = False

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, tree_rss(self.root))
            time.sleep(0.02)

    def __enter__(self):
        self.peak, self._running = tree_rss(self.root), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.root))


# --- the floor, and the old extension scan ---------------------------------------------------------

def csv_encoding(path: Path) -> str:
    """utf-8 (with or without BOM) or gb18030, from the first 64 KiB."""
    head = _head(path)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the end
            return "gb18030"
    return "utf-8"


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(65536)


def input_files(raw: Path) -> list[Path]:
    return sorted(p for folder in SOURCE_FOLDERS for p in (raw / folder).glob("*.*")
                  if p.suffix.lower() in (".csv", ".xlsx"))


DECODE_BLOCK = 4 * 2**20


def floor_scan(raw: Path, tmp: Path) -> dict:
    """The floor: every row of every input file read once, and nothing else — python-calamine
    over the workbooks (every cell of every sheet into Python), GB18030 CSVs decoded by
    Python's codec to a UTF-8 scratch file that DuckDB's `read_csv` then counts, UTF-8 CSVs
    straight into `read_csv`.  Seconds, rows and files per part."""
    import codecs

    import duckdb
    from python_calamine import CalamineWorkbook

    con = duckdb.connect()
    parts: dict[str, list] = {}   # part -> [files, rows, seconds]

    def add(part: str, files: int, rows: int, seconds: float) -> None:
        old = parts.get(part, [0, 0, 0.0])
        parts[part] = [old[0] + files, old[1] + rows, old[2] + seconds]

    def count_csv(path: Path) -> int:
        quoted = str(path).replace("'", "''")
        return con.execute(f"select count(*) from read_csv('{quoted}', all_varchar=true, header=false)").fetchone()[0]

    scratch = tmp / "floor.utf8.csv"
    for path in input_files(raw):
        started = time.perf_counter()
        if path.suffix.lower() == ".xlsx":
            book = CalamineWorkbook.from_path(str(path))
            rows = sum(len(book.get_sheet_by_name(name).to_python(skip_empty_area=False))
                       for name in book.sheet_names)
            add("xlsx: python-calamine", 1, rows, time.perf_counter() - started)
        elif csv_encoding(path) == "gb18030":
            decoder = codecs.getincrementaldecoder("gb18030")()
            with path.open("rb") as source, scratch.open("w", encoding="utf-8", newline="") as out:
                for block in iter(lambda: source.read(DECODE_BLOCK), b""):
                    out.write(decoder.decode(block))
                out.write(decoder.decode(b"", final=True))
            decoded = time.perf_counter()
            add("csv gb18030: Python codec", 1, 0, decoded - started)
            add("csv gb18030: read_csv", 0, count_csv(scratch), time.perf_counter() - decoded)
        else:
            add("csv utf-8: read_csv", 1, count_csv(path), time.perf_counter() - started)
    scratch.unlink(missing_ok=True)
    con.close()
    return {"parts": parts, "seconds": sum(v[2] for v in parts.values()), "rows": sum(v[1] for v in parts.values())}


def extension_scan(raw: Path) -> dict:
    """The old 'bare scan' (kept for comparison with earlier figures, not the floor): DuckDB
    1.4.4's extensions only, GB18030 through `encodings` (several times slower than
    Python's codec, which the product uses) and xlsx through `excel`'s `read_xlsx`."""
    import duckdb

    from flows import engine

    con = duckdb.connect()
    started = time.perf_counter()
    engine.load(con, "encodings")
    engine.load(con, "excel")
    extensions = time.perf_counter() - started
    kinds: dict[str, list[float]] = {}  # kind -> [files, rows, seconds]
    for path in input_files(raw):
        quoted = str(path).replace("'", "''")
        if path.suffix.lower() == ".csv":
            encoding = csv_encoding(path)
            kind = f"csv {encoding}"
            sql = (f"select count(*) from read_csv('{quoted}', encoding='{encoding}', all_varchar=true, "
                   "header=false)")
        else:
            kind = "xlsx"
            sql = f"select count(*) from read_xlsx('{quoted}', all_varchar=true, header=false, stop_at_empty=false)"
        started = time.perf_counter()
        (rows,) = con.execute(sql).fetchone()
        seconds = time.perf_counter() - started
        files, total_rows, total_seconds = kinds.get(kind, [0, 0, 0.0])
        kinds[kind] = [files + 1, total_rows + rows, total_seconds + seconds]
    con.close()
    return {"extensions": extensions, "kinds": kinds,
            "seconds": sum(v[2] for v in kinds.values()), "rows": sum(v[1] for v in kinds.values())}


# --- the CLI, end to end ------------------------------------------------------------

def write_config(raw: Path, tmp: Path) -> Path:
    """The default config with every location inside `tmp` and the sources in `raw`."""
    config = tmp / "bench.toml"
    default = ROOT / "configs" / "default.toml"
    config.write_text(
        f'extends = "{default}"\n[project]\n'
        f'warehouse = "{tmp / "cli-warehouse.duckdb"}"\n'
        f'out_dir = "{tmp / "cli-out" / "{month}"}"\n'
        + "".join(f'[sources.{name}]\npaths = ["{raw / folder / "*.*"}"]\n'
                  for folder, name in SOURCE_FOLDERS.items()),
        encoding="utf-8")
    return config


# the CLI's steps that make up the engine (input files to exceptions)
CLI_ENGINE_STEPS = ("读取数据", "数据标准化", "数据源检查", "规则比对")


def cli_runs(raw: Path, month: str, tmp: Path, runs: int) -> list[tuple[str, float, int, int, float, float]]:
    """(label, seconds, peak RSS, exit code, engine seconds and all steps' seconds by the CLI's
    own step times) of `dibao run`, a fresh Prefect home first.  What is not in the steps is
    the run's fixed cost: start-up (imports, input checks, Prefect's server), keep less, swap,
    exit."""
    config = write_config(raw, tmp)
    env = {**os.environ, "DIBAO_CONFIG": str(config), "PREFECT_HOME": str(tmp / "prefect"),
           "DIBAO_LOG_DIR": str(tmp / "logs"), "DIBAO_KEY_FILE": str(tmp / "no-key-file")}
    dibao = Path(sys.executable).with_name("dibao")
    command = [str(dibao)] if dibao.exists() else [sys.executable, "-m", "flows.cli"]
    out = []
    for i in range(runs):
        for stale in (tmp / "cli-warehouse.duckdb", tmp / "cli-out"):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        label = "cold Prefect home" if i == 0 else "warm Prefect home"
        started = time.perf_counter()
        process = subprocess.Popen([*command, "run", "--month", month, "--config", str(config)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        with PeakRss(process.pid) as rss:
            _, stderr = process.communicate()
        seconds = time.perf_counter() - started
        if process.returncode not in (0,):
            print(f"CLI run exited {process.returncode}: {stderr.strip().splitlines()[-1:]}")
        # the CLI's own step times (完成：读取数据（1.1 秒）): where an end-to-end run goes
        steps = [line.removeprefix("完成：") for line in stderr.splitlines() if line.startswith("完成：")]
        print(f"CLI {label}: " + "，".join(steps), flush=True)
        timed = [(m.group(1), float(m.group(2)))
                 for m in (re.match(r"(.+?)（([\d.]+) 秒）", step) for step in steps) if m]
        engine = sum(t for name, t in timed if name in CLI_ENGINE_STEPS)
        out.append((label, seconds, rss.peak, process.returncode, engine, sum(t for _, t in timed)))
    return out


# --- deaths found, and a tuned Splink model beside the engine ---------------------------------

def deaths_scored(truth_path: Path, flagged: set[tuple[str, str]]) -> dict[str, int]:
    """The roster members `flagged` dead, (household_id, name) pairs, against truth.csv, keyed
    as flows/evaluate.py keys them (the name normalised): DECEASED_PAID and DECEASED_SUSPECT
    members are the dead; every other member flagged is a living person flagged, the hard
    negatives among them counted too; AMBIGUOUS_NAMESAKE members (one of two namesakes of a
    village born the same day died) are counted apart.  Counts only."""
    import pandas as pd

    from flows.evaluate import AMBIGUOUS, DECEASED
    from flows.normalize.names import normalize_name

    def keys(frame) -> set[tuple[str, str]]:
        return {(household or "", normalize_name(name) or "")
                for household, name in zip(frame["household_id"], frame["name"])}

    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    dead = keys(truth[truth["rule"].isin(DECEASED)])
    hard = keys(truth[truth["rule"] == "HARD_NEGATIVE"])
    ambiguous = keys(truth[truth["rule"] == AMBIGUOUS])
    flagged = {(household or "", normalize_name(name) or "") for household, name in flagged}
    living = flagged - dead - ambiguous
    return {"dead": len(dead), "found": len(dead & flagged), "missed": len(dead - flagged),
            "living_flagged": len(living), "hard_negatives_flagged": len(living & hard),
            "ambiguous": len(ambiguous), "ambiguous_flagged": len(ambiguous & flagged)}


def engine_deaths_scored(truth_path: Path, exceptions_path: Path) -> dict[str, int]:
    """deaths_scored of the engine's DECEASED_PAID and DECEASED_SUSPECT exceptions."""
    import pandas as pd

    from flows.evaluate import DECEASED

    exceptions = pd.read_csv(exceptions_path, dtype=str, keep_default_na=False)
    deceased = exceptions[exceptions["rule"].isin(DECEASED)]
    return deaths_scored(truth_path, set(zip(deceased["household_id"], deceased["name"])))


def splink_run(raw: Path, month: str) -> tuple[dict | None, float, int]:
    """benchmarks/splink_model.py in a process of its own: (its figures, or None when it
    failed; its wall time end to end; its peak RSS)."""
    command = [sys.executable, str(Path(__file__).with_name("splink_model.py")), "--raw", str(raw), "--month", month]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRss(process.pid) as rss:
        stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    print(f"[splink {seconds:.1f} s, peak {rss.peak / 2**20:.0f} MiB]", file=sys.stderr, flush=True)
    if process.returncode != 0:
        # its last line: a Python error names the failure (the model prints no personal data)
        print(f"Splink comparison exited {process.returncode}: {stderr.strip().splitlines()[-1:]}")
        return None, seconds, rss.peak
    return json.loads(stdout.strip().splitlines()[-1]), seconds, rss.peak


def print_splink(figures: dict, seconds: float, peak: int, floor_seconds: float, engine_seconds: float | None,
                 engine_scores: dict | None) -> None:
    print(f"\nSplink {figures['splink']}, tuned model (benchmarks/splink_model.py, DuckDB backend): "
          f"{figures['roster_rows']} roster rows x {figures['death_rows']} police death records "
          f"({figures['deaths_after_month']} dated after the month left out); "
          f"{figures['links']} links at >= {figures['threshold']}")
    print(f"{'step':<22}{'seconds':>10}{'peak RSS MiB':>15}")
    steps = figures["steps"]
    for name, (step_seconds, step_peak) in steps.items():
        print(f"{'splink ' + name:<22}{step_seconds:>10.2f}{step_peak / 2**20:>15.0f}")
    total = sum(s for s, _ in steps.values())
    print(f"{'splink total':<22}{total:>10.2f}{max(p for _, p in steps.values()) / 2**20:>15.0f}"
          f"   (its process end to end {seconds:.1f} s, peak {peak / 2**20:.0f} MiB)")
    against = (f"; the engine (load through match) {engine_seconds:.1f} s = {engine_seconds / floor_seconds:.1f}×"
               if engine_seconds else "")
    print(f"splink load + train + predict {total:.1f} s = {total / floor_seconds:.1f}× the floor{against}")
    scores = figures["scores"]
    print(f"\n{'deaths (truth ' + str(scores['dead']) + ')':<26}{'found':>7}{'missed':>8}{'living flagged':>16}"
          f"{'hard negatives':>16}{'ambiguous namesakes':>21}")
    rows = ([("engine DECEASED_*", engine_scores)] if engine_scores else []) + \
        [(f"splink >= {figures['threshold']}", scores)]
    for label, s in rows:
        print(f"{label:<26}{s['found']:>7}{s['missed']:>8}{s['living_flagged']:>16}"
              f"{s['hard_negatives_flagged']:>16}{str(s['ambiguous_flagged']) + '/' + str(s['ambiguous']):>21}")
    print("(the engine also reads the population registry's deaths and cremation records; this Splink model "
          "links police deaths only)")


# --- the stages ---------------------------------------------------------------------

def spilled(db_path: Path) -> int:
    """Bytes DuckDB holds in spill files on the run's connection (warehouse.run_connection) now."""
    from flows import warehouse

    con = warehouse.connect(db_path)
    return con.execute("select coalesce(sum(size), 0) from duckdb_temporary_files()").fetchone()[0]


def run_stages(raw: Path, month: str, tmp: Path, rows: list, rule_seconds: dict[str, float],
               memory_limit: str | None = None) -> tuple[dict | None, Path]:
    from flows import pipeline, retention, warehouse
    from flows.config import load_settings

    def stage(name, function, *a, **kw):
        written = written_bytes()
        with PeakRss() as rss:
            started = time.perf_counter()
            result = function(*a, **kw)
            seconds = time.perf_counter() - started
        # keep less closes the run's connection, and its spill files with it
        spill = spilled(plan.db_path) if name != "keep less" else None
        rows.append((name, seconds, rss.peak, written_bytes() - written, spill))
        # progress on stderr, so a run stopped by a timeout still says how far it got
        print(f"[{name} {seconds:.1f} s, peak {rss.peak / 2**20:.0f} MiB]", file=sys.stderr, flush=True)
        return result

    settings = load_settings()
    if memory_limit is not None:
        settings = dataclasses.replace(settings, engine=dataclasses.replace(settings.engine, memory_limit=memory_limit))
    warehouse.use_engine(settings)   # [engine] memory_limit and threads, as a run applies them
    inputs = {"roster": [raw / "roster"], "police_deaths": [raw / "deaths"],
              "population": [raw / "population"], "cremation": [raw / "cremation"]}
    plan = pipeline.plan_run(settings, month, overrides={k: [str(p) for p in v] for k, v in inputs.items()},
                             out_dir=tmp / "out", db_path=tmp / "warehouse.duckdb")
    for name in ("poverty", "assistance"):  # optional registries, when generated
        plan.inputs[name] = sorted((raw / name).glob("*.*")) if (raw / name).is_dir() else []
    work_out = tmp / "work_out"
    work_out.mkdir(exist_ok=True)
    started_at = dt.datetime.now()
    counts = None
    current = "load"
    try:
        # One connection for the steps, uncompressed until keep less: as in a run.
        with warehouse.run_connection(plan.db_path, compressed=False):
            lineage = stage("load", pipeline.load_sources, plan.db_path, plan, settings)
            current = "normalise"
            rejects = stage("normalise", pipeline.normalise, plan.db_path, plan, settings)
            current = "check sources"
            health = stage("check sources", pipeline.check_sources, plan.db_path, plan, settings)
            current = "match"
            counts = stage("match", pipeline.match, plan.db_path, plan, settings, seconds=rule_seconds)
            current = "follow up cases"
            stage("follow up cases", pipeline.follow_up_cases, plan.db_path, plan, settings)
            current = "report"
            stage("report", pipeline.write_reports, plan.db_path, work_out, plan, settings,
                  {"started_at": started_at, "lineage": lineage, "rejects_by_file": rejects, "counts": counts,
                   "source_health": health})
            current = "keep less"
            stage("keep less", retention.forget_input_rows, plan.db_path)
    except Exception:  # a benchmark reports the stage that breaks, and what it said
        print(f"stage {current!r} failed:")
        traceback.print_exc(limit=3)
        return None, work_out
    return counts, work_out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="township", choices=("township", "district", "city"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--month", default="2020-05")
    parser.add_argument("--raw", type=Path, help="inputs folder: reused when it holds truth.csv, else generated there")
    parser.add_argument("--cli", type=int, default=None, help="CLI runs (default 2 below city scale, 0 at city)")
    parser.add_argument("--no-stages", action="store_true", help="only the floor (and CLI runs)")
    parser.add_argument("--no-splink", action="store_true", help="skip the Splink comparison when Splink is installed")
    parser.add_argument("--memory-limit", default=None,
                        help="the stages' DuckDB memory_limit instead of the config's [engine] one "
                             "(\"\" = DuckDB's default, 80%% of the RAM); the CLI runs keep the config's")
    parser.add_argument("--extension-scan", action="store_true",
                        help="also the old bare scan through DuckDB's encodings/excel extensions (not the floor)")
    args = parser.parse_args()
    # The benchmark's warehouse is thrown away with its temporary folder: so is its key.
    os.environ.setdefault("DIBAO_WAREHOUSE_KEY", secrets.token_urlsafe(32))
    cli = args.cli if args.cli is not None else (0 if args.scale == "city" else 2)

    # (stage, seconds, peak RSS, bytes written, bytes in spill files at its end; None: not measured)
    rows: list[tuple[str, float, int, int | None, int | None]] = []
    with tempfile.TemporaryDirectory(prefix="dibao-bench-") as tmp:
        tmp = Path(tmp)
        raw = args.raw or tmp / "raw"
        if not (raw / "truth.csv").is_file():
            from flows.generate import generate

            with PeakRss() as rss:
                started = time.perf_counter()
                generate(args.scale, args.seed, args.month, raw)
                rows.append(("generate", time.perf_counter() - started, rss.peak, None, None))
        files = input_files(raw)
        print(f"scale={args.scale} seed={args.seed} month={args.month} inputs={len(files)} files, "
              f"{sum(f.stat().st_size for f in files) / 2**20:.0f} MiB; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

        with PeakRss() as floor_rss:
            floor = floor_scan(raw, tmp)
        print(f"[floor {floor['seconds']:.1f} s]", file=sys.stderr, flush=True)
        scan = extension_scan(raw) if args.extension_scan else None
        rule_seconds: dict[str, float] = {}
        counts, work_out = ((None, None) if args.no_stages
                            else run_stages(raw, args.month, tmp, rows, rule_seconds, args.memory_limit))
        cli_rows = cli_runs(raw, args.month, tmp, cli) if cli else []
        has_splink = importlib.util.find_spec("splink") is not None
        splink = splink_run(raw, args.month) if has_splink and not args.no_splink else None

        print(f"\n{'floor: each row read once':<30}{'files':>7}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
        for part, (n_files, n_rows, seconds) in sorted(floor["parts"].items()):
            counted = f"{n_rows:>12}{seconds:>10.2f}{n_rows / max(seconds, 1e-9):>12.0f}" if n_rows else \
                f"{'(decoded)':>12}{seconds:>10.2f}"
            print(f"{part:<30}{n_files or '':>7}{counted}")
        print(f"{'floor':<30}{len(files):>7}{floor['rows']:>12}{floor['seconds']:>10.2f}"
              f"   peak RSS {floor_rss.peak / 2**20:.0f} MiB")
        if scan:
            print(f"\n{'old bare scan (extensions)':<30}{'files':>7}{'rows':>12}{'seconds':>10}")
            for kind, (n_files, n_rows, seconds) in sorted(scan["kinds"].items()):
                print(f"{kind:<30}{n_files:>7}{n_rows:>12}{seconds:>10.2f}")
            print(f"{'all files':<30}{len(files):>7}{scan['rows']:>12}{scan['seconds']:>10.2f}"
                  f"   (+ {scan['extensions']:.2f} s loading encodings and excel)")

        print(f"\n{'stage':<22}{'seconds':>10}{'peak RSS MiB':>15}{'written MiB':>14}{'spill files MiB':>18}")
        for name, seconds, peak, written, spill in rows:
            mib = [f"{v / 2**20:.0f}" if v is not None else "-" for v in (written, spill)]
            print(f"{name:<22}{seconds:>10.2f}{peak / 2**20:>15.0f}{mib[0]:>14}{mib[1]:>18}")
        engine_rows = [r for r in rows if r[0] != "generate"]
        engine_seconds = None   # the engine's stages (load through match), for the Splink comparison
        if engine_rows:
            total = sum(row[1] for row in engine_rows)
            peak = max(row[2] for row in engine_rows)
            print(f"{'stages total':<22}{total:>10.2f}{peak / 2**20:>15.0f}")
            engine = engine_seconds = sum(row[1] for row in engine_rows if row[0] in ENGINE_STAGES)
            print(f"engine (load through match) {engine:.1f} s = {engine / floor['seconds']:.1f}× the floor; "
                  f"stages total {total / floor['seconds']:.1f}× the floor")
            if scan:
                print(f"(against the old bare scan: engine {engine / scan['seconds']:.1f}×)")
        if rule_seconds:
            print("slowest rules: " + ", ".join(
                f"{k} {v:.2f}s" for k, v in sorted(rule_seconds.items(), key=lambda kv: -kv[1])[:4]))
        for label, seconds, peak, code, engine, steps in cli_rows:
            print(f"{'CLI dibao run, ' + label:<40}{seconds:>8.2f} s{peak / 2**20:>8.0f} MiB  exit {code}; "
                  f"its engine steps {engine:.1f} s = {engine / floor['seconds']:.1f}× the floor; "
                  f"outside its steps (fixed cost) {seconds - steps:.1f} s")
        if cli_rows:
            print(f"end to end (CLI, warmest) {min(r[1] for r in cli_rows) / floor['seconds']:.1f}× the floor")
        if counts is not None:
            from flows.evaluate import evaluate_files

            print(f"\nexceptions: {sum(counts.values())}")
            for line in evaluate_files(raw / "truth.csv", work_out / "exceptions.csv").lines():
                print(line)

        if splink is not None and splink[0] is not None:
            engine_scores = (engine_deaths_scored(raw / "truth.csv", work_out / "exceptions.csv")
                             if counts is not None else None)
            print_splink(*splink, floor["seconds"], engine_seconds, engine_scores)
        elif not has_splink:
            print("\nSplink comparison: Splink is not installed; `make benchmark-splink` installs the optional "
                  "`benchmark` extra and prints the same figures for a tuned Splink model")


if __name__ == "__main__":
    main()
