"""Nothing a run starts outlives it.

Prefect's embedded mode starts its temporary API server (`uvicorn`, ≈ 200 MB) as a
child process and stops it at interpreter exit; a `dibao` killed with SIGKILL (an
operator, the OOM killer, a scheduler's timeout) never gets there and the server used to
keep running.  Here the CLI starts that server itself, from the main thread, before the
flow: the child gets PR_SET_PDEATHSIG, so the kernel kills it the moment `dibao` dies
however it dies, and it runs in a session of its own, so a Ctrl-C in the terminal reaches
only `dibao` (which then still has a server to report the cancelled run to).

PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, hence the main
thread.  It is Linux-only; elsewhere the server is Prefect's, unchanged.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
SERVE_PID_VARIABLE = "DIBAO_SERVE_PID"   # set by `dibao serve` for the flow runs it starts


def die_with_parent(sig: int = signal.SIGKILL):
    """A preexec_fn that has the child receive `sig` when its parent dies (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_pdeathsig():
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:   # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return set_pdeathsig


def end_with_serving_process() -> None:
    """In a flow run that `dibao serve` started (Prefect's runner spawns one process per
    run, in a session of its own): get SIGTERM when the serving process dies, so a killed
    `dibao serve` leaves no run behind.  SIGTERM unwinds the run like a failure: its
    working copies are removed, nothing is swapped in."""
    serving = os.environ.get(SERVE_PID_VARIABLE)
    if not serving or os.getppid() != int(serving) or not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(serving):     # it died meanwhile
        os.kill(os.getpid(), signal.SIGTERM)


class _TiedPopen(subprocess.Popen):
    """Popen whose child dies with this process and ignores the terminal's Ctrl-C."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("preexec_fn", die_with_parent())
        kwargs.setdefault("start_new_session", True)
        super().__init__(*args, **kwargs)


def spawn_prefect_server() -> None:
    """Launch Prefect's temporary server, tied to this process, without waiting for it and
    without importing it here: its ≈ 5 s of start-up then overlap this process's own imports
    and checks of the inputs.  No-op when PREFECT_API_URL names a server, or off Linux
    (start_prefect_server also honours a server named in a Prefect profile)."""
    if _spawned or die_with_parent() is None or os.environ.get("PREFECT_API_URL"):
        return
    seed_prefect_home()
    port = _free_port()
    _spawned.append((port, _launch_uvicorn(port)))


# An empty Prefect database already migrated to this Prefect's schema, made by `make install`
# (Makefile: `prefect server database upgrade` with PREFECT_HOME here).
PREFECT_HOME_TEMPLATE = Path(sys.prefix) / "share" / "dibao-recon" / "prefect-home"
PREFECT_DB_NAME = "prefect.db"


def seed_prefect_home() -> bool:
    """On a fresh Prefect home, start from the migrated empty database `make install` made:
    Prefect's server otherwise creates and migrates its SQLite on the first run, ≈ 4-7 s of
    it.  Only for Prefect's default database (its SQLite under PREFECT_HOME), and only when
    there is none yet; a template from another Prefect version is still migrated by the
    server as usual.  Returns whether it seeded."""
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    template = PREFECT_HOME_TEMPLATE / PREFECT_DB_NAME
    if (os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL")
            or (home / PREFECT_DB_NAME).exists() or not template.is_file()):
        return False
    import shutil

    home.mkdir(parents=True, exist_ok=True)
    partial = home / f".{PREFECT_DB_NAME}.{os.getpid()}"
    shutil.copyfile(template, partial)
    os.chmod(partial, 0o600)
    try:   # whole or not at all, and never over a database another dibao created meanwhile
        os.link(partial, home / PREFECT_DB_NAME)
        return True
    except FileExistsError:
        return False
    finally:
        partial.unlink()


def _launch_uvicorn(port: int) -> subprocess.Popen:
    """Prefect's own command line for its temporary server (SubprocessASGIServer.
    _run_uvicorn_command, Prefect 3.x), through _TiedPopen.  Prefect's settings reach the
    child as environment variables (flows/prefect_env.py sets them there)."""
    import importlib.util

    site = Path(importlib.util.find_spec("prefect").origin).parent.parent
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    return _TiedPopen([sys.executable, "-m", "uvicorn", "--app-dir", str(site), "--factory",
                       "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
                       "--log-level", "error", "--lifespan", "on"], env=env)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_prefect_server() -> str | None:
    """Have Prefect's temporary server running (spawned now unless spawn_prefect_server
    did it already) and answering /health, as Prefect's own SubprocessASGIServer.start()
    waits for it; returns its API URL, for the flow call's Prefect settings
    (`prefect_api`).  RuntimeError when it does not answer in time.  None, and no server,
    when a server is configured, or off Linux (Prefect's own embedded mode then)."""
    if die_with_parent() is None:
        return None
    if _configured_api_url():
        for _, process in _spawned:
            process.kill()
        _spawned.clear()
        return None
    import atexit
    import time

    import httpx

    spawn_prefect_server()
    port, process = _spawned.pop()
    atexit.register(process.kill)
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20"))
    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            code = process.poll()
            if code == 3:                                     # the port was taken meanwhile
                port = _free_port()
                process = _launch_uvicorn(port)
                atexit.register(process.kill)
                continue
            if code is not None:
                break
            try:
                if client.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                    return f"http://127.0.0.1:{port}/api"
            except httpx.TransportError:
                pass
            time.sleep(0.025)
    process.kill()
    raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")


def prefect_api(url: str | None):
    """The context in which a flow called from this process uses the server at `url`
    (Prefect's own settings override, as its test harness uses); no change when None.
    Registering the server with Prefect's ephemeral machinery instead would import
    Prefect's server package here, ≈ 3 s of every run.

    The server is this process's own child, started from the same Prefect, so two of
    Prefect's client rituals buy nothing here and are switched off: the API version
    handshake (≈ 0.25 s on this server) and the flow run's heartbeat thread, which a
    server detects crashed runs with (this server dies with the run) and whose exit
    waits up to a second for its sleep to end."""
    import contextlib

    if url is None:
        return contextlib.nullcontext()
    from prefect.settings import (
        PREFECT_API_URL, PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED, PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    return temporary_settings(updates={PREFECT_API_URL: url, PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED: False,
                                       PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


_spawned: list = []


def _configured_api_url() -> str | None:
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from prefect.settings import get_current_settings

    return get_current_settings().api.url
