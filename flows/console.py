"""What the `dibao` command prints while it works: steps with their times, aligned tables.

Nothing printed here carries personal data: step names, counts, file names and times.
Progress goes to stderr, so stdout keeps only the summary a script might read.  In a
terminal a step shows while it runs and is completed in place; otherwise (a log file,
a scheduler) each step is a plain line when it starts and when it ends.
"""
from __future__ import annotations

import contextlib
import sys
import time
import unicodedata
from collections.abc import Iterator, Sequence

_enabled = False


def enable_progress(on: bool = True) -> None:
    """The CLI turns progress on; library calls and tests stay silent."""
    global _enabled
    _enabled = on


@contextlib.contextmanager
def step(label: str) -> Iterator[None]:
    """Show `label` while the block runs and its wall time when it ends."""
    if not _enabled:
        yield
        return
    stream = sys.stderr
    tty = stream.isatty()
    started = time.perf_counter()
    stream.write(f"  … {label}" if tty else f"开始：{label}\n")
    stream.flush()
    try:
        yield
    except BaseException:
        elapsed = time.perf_counter() - started
        stream.write(f"\r  ✗ {label}（{elapsed:.1f} 秒）\n" if tty else f"失败：{label}（{elapsed:.1f} 秒）\n")
        stream.flush()
        raise
    elapsed = time.perf_counter() - started
    stream.write(f"\r  ✓ {label}（{elapsed:.1f} 秒）\n" if tty else f"完成：{label}（{elapsed:.1f} 秒）\n")
    stream.flush()


def width(text: str) -> int:
    """Columns a terminal gives `text`: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def pad(text: object, columns: int, *, right: bool = False) -> str:
    text = str(text)
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Sequence[int] = ()) -> list[str]:
    """Lines of a table whose columns line up in a terminal, Chinese text included.
    `right` lists the columns (by position) that hold numbers and align right."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(pad(value, widths[i], right=i in right) for i, value in enumerate(row)).rstrip()
            for row in cells]
