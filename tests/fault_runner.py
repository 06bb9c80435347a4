"""`dibao` for the fault battery: the real CLI, with a pause after one step of the flow.

    python tests/fault_runner.py STEP MARKER dibao-args...

After STEP (load, normalise, check, match, report; notices for `dibao actions`) has done its work in the run's
working copy, the run creates MARKER and waits until MARKER.go exists: the battery kills
or interrupts it there, or fills the disk and lets it go on.  Nothing else is changed.
"""
from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

from flows import pipeline
from flows.reports import month as report
from flows.reports import notices
from flows.cli import main

STEPS = {"load": (pipeline, "load_sources"), "normalise": (pipeline, "normalise"),
         "check": (pipeline, "check_sources"), "match": (pipeline, "match"), "report": (report, "write_all"),
         "notices": (notices, "write_notices")}   # `dibao actions`: lists and notices written, not swapped in


def pause_after(step: str, marker: Path) -> None:
    module, name = STEPS[step]
    real = getattr(module, name)

    @functools.wraps(real)
    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        marker.touch()
        go = marker.with_name(marker.name + ".go")
        deadline = time.monotonic() + 900
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return result

    setattr(module, name, paused)


if __name__ == "__main__":
    pause_after(sys.argv[1], Path(sys.argv[2]))
    sys.exit(main(sys.argv[3:]))
