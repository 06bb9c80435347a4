"""`dibao serve`: run the monthly reconciliation on the configured cron with Prefect serve.

Prefect's temporary embedded server cannot schedule, so unless PREFECT_API_URL (or a
Prefect profile) names a server, `serve_monthly` starts a real local one
(`python -m prefect server start`, loopback only, SQLite under PREFECT_HOME), serves the
deployment `scheduled-reconciliation/monthly` against it, and stops it again on Ctrl-C or
SIGTERM.

The scheduled flow's parameters are a month and a config path, nothing else; a run left
without a month reconciles the month its schedule slot falls in (in the configured
timezone), i.e. the month just starting for the default cron "0 6 1 * *".
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger

from flows.config import Settings, load_settings
from flows.lifetime import SERVE_PID_VARIABLE, die_with_parent, end_with_serving_process
from flows.normalize.dates import month_bounds
from flows.reconcile import monthly_reconciliation

FLOW_NAME = "scheduled-reconciliation"
DEPLOYMENT_NAME = "monthly"
FULL_NAME = f"{FLOW_NAME}/{DEPLOYMENT_NAME}"
HEALTH_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 30
SERVER_LOG_NAME = "server.log"
SERVER_DB_NAME = "server.db"


class ServeError(Exception):
    """`dibao serve` cannot go on; the message says why, in Chinese."""


def month_at(when: dt.datetime, timezone: str) -> str:
    """The month ('YYYY-MM') that the instant `when` falls in, in `timezone`."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


@flow(name=FLOW_NAME, log_prints=False)
def scheduled_reconciliation(month: str | None = None, config: str | None = None) -> dict:
    """Reconcile `month`, or, when it is not given, the month this run was scheduled in.

    The scheduled time (not the wall clock) decides the month, so a run that starts late
    still reconciles the month its schedule slot belongs to.
    """
    from prefect.runtime import flow_run

    end_with_serving_process()
    settings = load_settings(Path(config) if config else None)
    if month is None:
        scheduled = flow_run.scheduled_start_time or dt.datetime.now(dt.timezone.utc)
        month = month_at(scheduled, settings.timezone)
    month_bounds(month)  # a wrong month fails here, with a Chinese message
    get_run_logger().info("scheduled reconciliation of month %s", month)
    return monthly_reconciliation(month=month, config=config)


# ---------------------------------------------------------------- serve

def serve_monthly(config: Path | None = None, port: int = 4200) -> int:
    """Serve `scheduled-reconciliation/monthly` on the config's cron until Ctrl-C/SIGTERM.

    Returns 0 after a clean stop, 1 when the Prefect server cannot be reached or started.
    """
    settings = load_settings(config)  # a ConfigError goes to the caller
    config_param = str(Path(config).resolve()) if config else None
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    server: subprocess.Popen | None = None
    try:
        api_url = _configured_api_url()
        if api_url:
            print(f"使用已配置的 Prefect 服务器：{api_url}（PREFECT_API_URL），不另行启动服务器。", flush=True)
            _wait_healthy(api_url, timeout=30, process=None)
        else:
            api_url = f"http://127.0.0.1:{port}/api"
            server = _start_local_server(port, api_url)
            _wait_healthy(api_url, timeout=HEALTH_TIMEOUT_SECONDS, process=server,
                          log_path=_server_log_path())
            print(f"本地 Prefect 服务器已就绪：{api_url}", flush=True)
        return _serve(settings, config_param, api_url)
    except KeyboardInterrupt:
        print("收到停止信号。", flush=True)
        return 0
    except ServeError as exc:
        print(f"错误：{exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if server is not None:
            _stop_server(server)
        signal.signal(signal.SIGTERM, previous_sigterm)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url.rstrip("/")
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return url.rstrip("/") if url else None


def _serve(settings: Settings, config_param: str | None, api_url: str) -> int:
    from prefect.deployments.runner import EntrypointType
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Flow runs are started in child processes: they read the URL from the environment.
    os.environ["PREFECT_API_URL"] = api_url
    os.environ[SERVE_PID_VARIABLE] = str(os.getpid())
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        # limit=1: a second run waits for the first instead of failing on the warehouse lock.
        runner = Runner(name="dibao-serve", pause_on_shutdown=True, limit=1)
        try:
            runner.add_flow(
                scheduled_reconciliation,
                name=DEPLOYMENT_NAME,
                schedules=[Cron(settings.cron, timezone=settings.timezone)],
                parameters={"config": config_param} if config_param else None,
                description="低保/特困月度比对（定时）：未指定 month 时比对计划时间所在的月份。",
                tags=["dibao"],
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        except Exception as exc:  # noqa: BLE001 - any API failure means we cannot serve
            raise ServeError(f"无法在 Prefect 服务器 {api_url} 上创建部署 {FULL_NAME}：{exc}") from exc
        print(f"已创建部署：{FULL_NAME}", flush=True)
        print(f"定时：cron \"{settings.cron}\"，时区 {settings.timezone}"
              "（未指定月份时，比对计划时间所在的月份）", flush=True)
        print(f"配置文件：{config_param or settings.config_path}", flush=True)
        print("补跑以往某月（另开终端，先设置 PREFECT_API_URL）：", flush=True)
        print(f"  PREFECT_API_URL={api_url} .venv/bin/prefect deployment run '{FULL_NAME}' -p month=2020-05",
              flush=True)
        print("正在等待定时任务……按 Ctrl-C 停止。", flush=True)
        try:
            asyncio.run(runner.start())
        except (KeyboardInterrupt, TerminationSignal):
            pass
    print("已停止定时服务（定时计划已暂停，下次启动 dibao serve 时恢复）。", flush=True)
    return 0


# ---------------------------------------------------------------- local server

def _server_log_path() -> Path:
    return Path(os.environ["PREFECT_HOME"]) / SERVER_LOG_NAME


def _start_local_server(port: int, api_url: str) -> subprocess.Popen:
    """`prefect server start` on loopback, in its own session, SQLite under PREFECT_HOME."""
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.update({
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    })
    if not (env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or env.get("PREFECT_API_DATABASE_CONNECTION_URL")):
        # Not prefect.db: that one belongs to the embedded server of `dibao run`.
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{home / SERVER_DB_NAME}"
    if _port_in_use(port):
        raise ServeError(f"端口 {port} 已被占用（可能另一个 Prefect 服务器或 dibao serve 正在运行）。"
                         "请用 --port 换一个端口，或设置 PREFECT_API_URL 使用已在运行的服务器。")
    log_path = _server_log_path()
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    print(f"正在启动本地 Prefect 服务器：{api_url}（数据目录 {home}，日志 {log_path}）……", flush=True)
    with log_path.open("ab") as log:
        log.write(f"\n==== dibao serve {dt.datetime.now():%Y-%m-%d %H:%M:%S}: {' '.join(command[1:])}\n".encode())
        log.flush()
        server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, preexec_fn=die_with_parent(signal.SIGTERM))
    print(f"本地 Prefect 服务器进程号 {server.pid}", flush=True)
    return server


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_healthy(api_url: str, *, timeout: float, process: subprocess.Popen | None,
                  log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    health = f"{api_url}/health"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    while True:
        if process is not None and process.poll() is not None:
            raise ServeError(f"本地 Prefect 服务器启动失败（退出码 {process.returncode}），"
                             f"端口可能已被占用，可用 --port 换一个端口。{_log_tail(log_path)}")
        try:
            with opener.open(health, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            if process is not None:
                raise ServeError(f"本地 Prefect 服务器在 {timeout:.0f} 秒内没有就绪（{health} 无应答）。"
                                 f"{_log_tail(log_path)}")
            raise ServeError(f"Prefect 服务器 {api_url} 无法连接（{health} 在 {timeout:.0f} 秒内无应答）。"
                             "请检查 PREFECT_API_URL，或取消该设置以便自动启动本地服务器。")
        time.sleep(0.5)


def _log_tail(log_path: Path | None, lines: int = 15) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"\n服务器日志 {log_path} 最后几行：\n" + "\n".join(tail) if tail else ""


def _stop_server(server: subprocess.Popen) -> None:
    """Terminate the server's process group; kill it if it has not gone within the timeout."""
    if server.poll() is not None:
        return
    print(f"正在停止本地 Prefect 服务器（进程号 {server.pid}）……", flush=True)
    # Ignore further SIGTERM/SIGINT while stopping, so a second signal cannot leave it running.
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        _signal_group(server, signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(server, signal.SIGKILL)
            server.wait(timeout=10)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    print("本地 Prefect 服务器已停止。", flush=True)


def _signal_group(server: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(server.pid, sig)  # its own session: process group id == its pid
    except ProcessLookupError:
        pass
