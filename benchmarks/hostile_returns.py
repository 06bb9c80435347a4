"""Hostile returned files: `dibao returns` refuses them fast, in bounded memory, and still
imports the valid files of the same batch (issue 24's bar: under 30 s and under 1 GiB peak).

    .venv/bin/python benchmarks/hostile_returns.py [--seed 7]

Generates a township, reconciles 2020-05 through the pipeline's own steps, then builds from
one issued village sheet: a ≈ 1 MB workbook whose 说明 sheet holds one 1 GiB cell, a workbook
with 1,000,000 rows, and a valid filled-in copy of another village's sheet.  Runs
`dibao returns` on the three under `/usr/bin/time -v` and prints its wall time, peak RSS and
each file's outcome; exits 1 if the bar is not met.  Not part of `make test`.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DIBAO_WAREHOUSE_KEY", "benchmark-" + secrets.token_hex(8))

from openpyxl import load_workbook  # noqa: E402

from flows import pipeline  # noqa: E402
from flows.config import folder_overrides, load_settings  # noqa: E402
from flows.generate import generate  # noqa: E402

MONTH = "2020-05"
GIB = 1 << 30


def township(work: Path, seed: int) -> Path:
    """A generated township reconciled for MONTH; returns its out folder."""
    raw = work / "raw"
    generate("township", seed, MONTH, raw)
    settings = load_settings()
    overrides = folder_overrides(raw)
    plan = pipeline.plan_run(settings, MONTH, overrides=overrides, out_dir=work / "out", db_path=work / "w.duckdb")
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    pipeline.run_month_steps(plan.db_path, plan.out_dir, plan, settings)
    return plan.out_dir


def rewrite(source: Path, target: Path, part: str, extra_rows) -> None:
    """Copy an .xlsx, streaming `extra_rows` (bytes chunks) into `part` before </sheetData>."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as forged:
        for item in original.infolist():
            data = original.read(item)
            if item.filename != part:
                forged.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>")
            info = zipfile.ZipInfo(item.filename)
            info.compress_type = zipfile.ZIP_DEFLATED
            with forged.open(info, "w", force_zip64=True) as stream:
                stream.write(head)
                for chunk in extra_rows():
                    stream.write(chunk)
                stream.write(b"</sheetData>" + tail)


def huge_cell():
    yield b'<row r="999"><c r="A999" t="inlineStr"><is><t>'
    block = b"x" * (16 << 20)
    for _ in range(GIB // len(block)):
        yield block
    yield b"</t></is></c></row>"


def million_rows():
    for start in range(100, 1_000_100, 10_000):
        yield b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%d</t></is></c></row>' % (n, n, n)
                       for n in range(start, start + 10_000))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dibao-hostile-") as folder:
        work = Path(folder)
        out = township(work, args.seed)
        sheets = sorted((out / "villages").glob("*_异常核实表_*.xlsx"))
        base, other = sheets[0], sheets[1]
        returns = work / "returns"
        returns.mkdir()
        big = returns / "一个1GiB单元格.xlsx"
        rewrite(base, big, "xl/worksheets/sheet1.xml", huge_cell)
        many = returns / "一百万行.xlsx"
        rewrite(base, many, "xl/worksheets/sheet2.xml", million_rows)
        valid = returns / other.name
        book = load_workbook(other)
        ws = book.worksheets[1]
        header = [c.value for c in ws[3]]
        ws.cell(4, header.index("核实结果") + 1).value = "不属实"
        ws.cell(4, header.index("备注") + 1).value = "入户核实"
        book.save(valid)
        print(f"files: {big.name} {big.stat().st_size / 1e6:.1f} MB; {many.name} {many.stat().st_size / 1e6:.1f} MB; "
              f"{valid.name} (valid)")
        command = ["/usr/bin/time", "-v", sys.executable, "-m", "flows.cli", "returns", "--month", MONTH,
                   "--db", str(work / "w.duckdb"), str(big), str(many), str(valid)]
        done = subprocess.run(command, capture_output=True, text=True)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
        seconds = (int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])) if wall else float("nan")
        rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1])
        print(done.stdout.strip())
        print("\n".join(line for line in done.stderr.splitlines() if line.startswith("未导入")))
        print(f"dibao returns: exit {done.returncode}, {seconds:.1f} s wall, peak RSS {rss_kib / 1024:.0f} MiB")
        refused = sum(name in done.stderr for name in (big.name, many.name))
        imported = f"已导入：{valid.name}" in done.stdout
        ok = seconds < 30 and rss_kib < (1 << 20) and refused == 2 and imported and done.returncode == 1
        print("bar (< 30 s, < 1 GiB, both refused, the valid file imported, exit 1):", "met" if ok else "NOT met")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
