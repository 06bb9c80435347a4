"""Errors that may be shown, logged and stored by Prefect: they never carry personal data.

Expected problems (a file that cannot be read, a busy warehouse, a bad config) have their
own exceptions whose messages name files, rows and columns only.  Anything unexpected is
turned into `RunStepError` naming the step and the exception type; the full traceback,
which could quote a value, goes to a local file readable only by its owner.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import traceback
from pathlib import Path

from flows import faults
from flows.config import PROJECT_ROOT

def log_dir() -> Path:
    """Where private tracebacks go: $DIBAO_LOG_DIR (tests set it), else data/logs."""
    return Path(os.environ.get("DIBAO_LOG_DIR") or PROJECT_ROOT / "data" / "logs")


class RunStepError(RuntimeError):
    """An unexpected error in a step; `transient` when a retry may succeed (a busy share)."""

    transient = False


class SourceFileError(Exception):
    """A file that cannot be read at all.  The message names the file and what to fix."""


def sanitized(step: str, *, passthrough: tuple[type[BaseException], ...] = ()):
    """Decorator: let `passthrough` exceptions out as they are, replace any other."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except passthrough:
                raise
            except Exception as exc:  # noqa: BLE001 - every other error is re-raised, sanitised
                detail = write_traceback(step)
                fault = faults.explain(exc)     # disk full, no permission, out of memory, ...
                if fault is not None:
                    raise fault from None
                error = RunStepError(f"步骤「{step}」失败：{type(exc).__name__}（详细信息见 {detail}）")
                error.transient = faults.is_transient(exc)
                raise error from None
        return wrapper
    return decorate


def write_traceback(step: str) -> Path:
    """The current exception's traceback in a file only its owner can read."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"error-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"step: {step}\n{traceback.format_exc()}")
    return path
