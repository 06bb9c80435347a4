"""Prefect's settings for this project, applied before prefect is imported.

Prefect keeps its state (the embedded server's SQLite, logs) under the project's data/
folder, stays quiet, sends nothing out, and waits long enough for its embedded server on
a busy 2-core machine.  Prefect's console handler shows only CRITICAL records: a failed run
is explained by the CLI's Chinese message, and Prefect's tracebacks of it stay in Prefect's
own run history (its API log handler is untouched).  Values already in the environment win.

Every entry point calls `configure()` before anything imports prefect (flows/cli.py's main,
the tests' conftest); the modules that define flows do not, so importing them changes nothing.
"""
from __future__ import annotations

import os

from flows.config import PROJECT_ROOT

DEFAULTS = {
    "PREFECT_HOME": str(PROJECT_ROOT / "data" / "prefect"),
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
}


def configure() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)
