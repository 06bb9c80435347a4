"""Are a refactoring's outputs identical?  Two months of a generated district through the
CLI, as an office works them, dumped so another checkout's dump can be compared.

    .venv/bin/python benchmarks/same_outputs.py --save /tmp/before     # on the old code
    .venv/bin/python benchmarks/same_outputs.py --compare /tmp/before  # on the new code

Each month: `dibao run`, the village sheets filled as villages return them
(flows/generate/training.py), `dibao returns`, `dibao actions`; then the next month's
inputs (the same people) and the same again.  Dumped: every warehouse table as parquet,
and every cell of every workbook the two months wrote.  Compared: each table `EXCEPT ALL`
both ways in DuckDB, each workbook cell by cell.  Columns that differ between two runs
of the same code (run ids, clock times, file hashes of files carrying a timestamp) are
named in VOLATILE and left out; `--compare` against a dump of the same code must print
"identical".  Not part of `make test`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTHS = ("2020-05", "2020-06")
# Workbook columns that carry the clock (when an answer was imported), left out like VOLATILE.
VOLATILE_HEADERS = {"录入时间"}
SEED = 11
# Values that change from one run of the same code to the next.
VOLATILE = re.compile(r"(^|_)(run_id|at|sha256|started|finished|imported_by|issued_on|created|path|file)$"
                      r"|_at$|^source_file$|^returned_file$")


def dibao(*args: str, env: dict) -> None:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "dibao"), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"dibao {args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def work_months(work: Path) -> Path:
    """Both months in `work`; returns the warehouse."""
    from flows.generate import generate
    from flows.generate.next_month import generate_next_month
    from flows.generate.training import fill_returns

    config = work / "config.toml"
    config.write_text(
        f'extends = "{ROOT / "configs" / "default.toml"}"\n[project]\n'
        f'warehouse = "{work / "w.duckdb"}"\nout_dir = "{work / "out" / "{month}"}"\n'
        f'[model]\nfile = "{work / "model.json"}"\n'
        + "".join(f'[sources.{name}]\npaths = ["{work / "raw" / "{month}" / folder / "*.*"}"]\n'
                  for name, folder in (("roster", "roster"), ("police_deaths", "deaths"), ("population", "population"),
                                       ("cremation", "cremation"), ("poverty", "poverty"),
                                       ("assistance", "assistance"))),
        encoding="utf-8")
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "DIBAO_LOG_DIR": str(work / "logs"),
           "DIBAO_WAREHOUSE_KEY": os.environ.get("DIBAO_WAREHOUSE_KEY") or "same-outputs-" + secrets.token_hex(8),
           "DIBAO_KEY_FILE": str(work / "no-key-file"), "PYTHONPATH": str(ROOT)}   # this checkout, not the installed one
    os.environ.update({k: env[k] for k in ("DIBAO_WAREHOUSE_KEY", "DIBAO_KEY_FILE")})
    for i, month in enumerate(MONTHS):
        raw = work / "raw" / month
        if i == 0:
            generate("district", SEED, month, raw)
        else:
            generate_next_month("district", SEED, MONTHS[0], raw, until=month)
        dibao("run", "--config", str(config), "--month", month, env=env)
        returned = work / "returned" / month
        fill_returns(work / "out" / month / "villages", returned, seed=SEED + i)
        done = subprocess.run([str(ROOT / ".venv" / "bin" / "dibao"), "returns", "--config", str(config),
                               "--month", month, str(returned)], env=env, capture_output=True, text=True)
        if done.returncode not in (0, 1):     # 1: a file refused, which the dump records too
            sys.exit(f"dibao returns failed:\n{done.stderr[-3000:]}")
        dibao("actions", "--config", str(config), "--month", month, env=env)
    return work / "w.duckdb"


def dump(work: Path, target: Path) -> None:
    from flows import warehouse

    tables = target / "tables"
    tables.mkdir(parents=True)
    con = warehouse.connect(work / "w.duckdb", read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' and not temporary order by 1").fetchall()]
        for name in names:
            frame = con.execute(f'select * from "{name}"').df()
            frame.to_parquet(tables / f"{name}.parquet", index=False)
    finally:
        con.close()
    cells = {}
    from openpyxl import load_workbook
    for book in sorted((work / "out").rglob("*.xlsx")):
        wb = load_workbook(book, read_only=True)
        cells[str(book.relative_to(work / "out"))] = {
            ws.title: _stable_cells([[None if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)])
            for ws in wb.worksheets if ws.title != "_meta"}
        wb.close()
    (target / "workbooks.json").write_text(json.dumps(cells, ensure_ascii=False), encoding="utf-8")
    names = sorted(str(p.relative_to(work / "out")) for p in (work / "out").rglob("*") if p.is_file())
    (target / "files.json").write_text(json.dumps(names, ensure_ascii=False, indent=0), encoding="utf-8")


def _stable_cells(rows: list[list]) -> list[list]:
    """A sheet's cells without the columns a header row (among the first five) names in VOLATILE_HEADERS."""
    drop = {i for row in rows[:5] for i, value in enumerate(row) if value in VOLATILE_HEADERS}
    return [[v for i, v in enumerate(row) if i not in drop] for row in rows]


def compare(before: Path, after: Path, ignore: tuple[str, ...] = ()) -> list[str]:
    import duckdb

    problems = []
    old_tables = {p.stem for p in (before / "tables").glob("*.parquet")}
    new_tables = {p.stem for p in (after / "tables").glob("*.parquet")}
    for name in sorted(old_tables ^ new_tables):
        problems.append(f"table {name}: only {'before' if name in old_tables else 'after'}")
    con = duckdb.connect()
    for name in sorted(old_tables & new_tables):
        old, new = (f"read_parquet('{d / 'tables' / name}.parquet')" for d in (before, after))
        old_cols = [r[0] for r in con.execute(f"describe select * from {old}").fetchall()]
        new_cols = [r[0] for r in con.execute(f"describe select * from {new}").fetchall()]
        if old_cols != new_cols:
            problems.append(f"table {name}: columns differ {sorted(set(old_cols) ^ set(new_cols))}")
        columns = ", ".join(f'"{c}"' for c in old_cols if c in new_cols and not VOLATILE.search(c) and c not in ignore)
        if not columns:
            continue
        gone = con.execute(f"select count(*) from (select {columns} from {old} except all select {columns} from {new})").fetchone()[0]
        added = con.execute(f"select count(*) from (select {columns} from {new} except all select {columns} from {old})").fetchone()[0]
        rows = [con.execute(f"select count(*) from {t}").fetchone()[0] for t in (old, new)]
        if gone or added:
            differing = [c for c in columns.split(", ") if con.execute(
                f"select count(*) from (select {c} from {old} except all select {c} from {new})").fetchone()[0]]
            problems.append(f"table {name}: {gone} rows only before, {added} only after ({rows[0]} vs {rows[1]} rows); "
                            f"columns whose values differ: {', '.join(differing) or 'none (combined differently)'}")
    old_files, new_files = (json.loads((d / "files.json").read_text(encoding="utf-8")) for d in (before, after))
    if old_files != new_files:
        problems.append(f"out files differ: only before {sorted(set(old_files) - set(new_files))[:5]}, "
                        f"only after {sorted(set(new_files) - set(old_files))[:5]}")
    old_books, new_books = (json.loads((d / "workbooks.json").read_text(encoding="utf-8")) for d in (before, after))
    for book in sorted(set(old_books) & set(new_books)):
        if old_books[book] != new_books[book]:
            sheets = [s for s in old_books[book] if old_books[book].get(s) != new_books[book].get(s)]
            problems.append(f"workbook {book}: sheets {sheets or sorted(set(new_books[book]) - set(old_books[book]))} differ")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="dump this checkout's outputs here")
    group.add_argument("--compare", type=Path, help="a dump to compare this checkout's outputs with")
    parser.add_argument("--keep", type=Path, help="keep the work folder here")
    parser.add_argument("--ignore", nargs="*", default=[], metavar="COLUMN",
                        help="columns also left out of the tables' comparison (say why when you use it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="same-outputs-"))
    try:
        work_months(work)
        if args.save:
            shutil.rmtree(args.save, ignore_errors=True)
            dump(work, args.save)
            print(f"saved {len(list((args.save / 'tables').glob('*.parquet')))} tables and the workbooks to {args.save}")
            return 0
        after = work / "dump"
        dump(work, after)
        problems = compare(args.compare, after, tuple(args.ignore))
        for line in problems:
            print(line)
        print("identical" if not problems else f"{len(problems)} differences")
        return 1 if problems else 0
    finally:
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.copytree(work, args.keep)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
