"""`dibao serve` for real: a local Prefect server, the scheduled deployment, two triggered runs.

The command runs as a subprocess in its own process group with a throw-away PREFECT_HOME;
the test talks to its server over the REST API, and stops everything it started by
process id at the end.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv

MONTH = "2020-05"
DEPLOYMENT = "scheduled-reconciliation/monthly"
READY_TIMEOUT = 150     # server start in a fresh PREFECT_HOME and the deployment created
RUN_TIMEOUT = 150       # each triggered run reaches a final state
STOP_TIMEOUT = 30


def test_month_of_a_schedule_slot_is_taken_in_the_configured_timezone():
    from flows.serve import month_at

    # 06:00 on 1 May in Shanghai is still 30 April in UTC.
    slot = dt.datetime(2020, 4, 30, 22, 0, tzinfo=dt.timezone.utc)
    assert month_at(slot, "Asia/Shanghai") == "2020-05"
    assert month_at(slot, "UTC") == "2020-04"


def test_serve_schedules_the_monthly_deployment_and_runs_triggered_months(tmp_path):
    config = _small_world(tmp_path)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if k not in (
        "PREFECT_API_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    log_path = tmp_path / "serve.log"
    dibao = Path(sys.executable).with_name("dibao")
    command = [str(dibao)] if dibao.exists() else [sys.executable, "-m", "flows.cli"]
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command + ["serve", "--config", str(config), "--port", str(port)],
                                cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server_pid = None
    try:
        with httpx.Client(base_url=api, timeout=10, trust_env=False) as client:
            deployment = _wait_for_deployment(client, proc, log_path)
            server_pid = _server_pid(log_path)
            ready = time.monotonic() - started

            schedules = deployment["schedules"]
            assert len(schedules) == 1 and schedules[0]["active"]
            assert schedules[0]["schedule"]["cron"] == "0 6 1 * *"
            assert schedules[0]["schedule"]["timezone"] == "Asia/Shanghai"
            assert deployment["parameters"] == {"config": str(config.resolve())}
            assert not deployment["paused"]

            # A backfill of a past month, and a run left to the schedule's logic: due at
            # 06:00 on 1 June in Shanghai (22:00 UTC the day before), it must reconcile June.
            backfill = _create_run(client, deployment["id"], {"parameters": {"month": MONTH}})
            slot = _create_run(client, deployment["id"], {"state": {
                "type": "SCHEDULED", "state_details": {"scheduled_time": "2020-05-31T22:00:00+00:00"}}})
            # Parameters are a month and a path, never a person.
            assert backfill["parameters"] == {"month": MONTH, "config": str(config.resolve())}
            assert slot["parameters"] == {"config": str(config.resolve())}
            for run in (backfill, slot):
                state = _wait_for_final_state(client, run["id"], proc, log_path)
                assert state["type"] == "COMPLETED", f"{state}\n{_tail(log_path)}"
        print(f"serve ready after {ready:.0f} s, runs completed after {time.monotonic() - started:.0f} s")

        for month in (MONTH, "2020-06"):
            out = tmp_path / "out" / month
            exceptions = pd.read_csv(out / "exceptions.csv", dtype=str)
            assert list(exceptions.loc[exceptions["rule"] == "DECEASED_PAID", "village"]) == ["天竺村"]
            assert (out / "run.json").is_file()
    finally:
        code = _stop(proc, server_pid or _server_pid(log_path))
    assert code == 0, _tail(log_path)
    assert "本地 Prefect 服务器已停止" in log_path.read_text(encoding="utf-8", errors="replace")
    assert not _port_open(port)


# ---------------------------------------------------------------- helpers

def _small_world(tmp: Path) -> Path:
    """Two households, one member dead before the month; returns the config file."""
    a, b = make_id("19500101", "121"), make_id("19600202", "232")
    raw = tmp / "raw"
    write_csv(raw / "roster.csv", ROSTER_HEADER,
              [member("张三", a, household="H1"), member("李梅", b, household="H2")])
    write_csv(raw / "deaths.csv", DEATHS_HEADER, [death("张三", a, "2020-02-10")])
    write_csv(raw / "population.csv", POPULATION_HEADER, [person("张三", a), person("李梅", b)])
    config = tmp / "serve.toml"
    config.write_text(f"""\
[project]
township_label = "回龙镇"
district_label = "梁平区"
warehouse = '{tmp / "warehouse.duckdb"}'
out_dir = '{tmp / "out"}/{{month}}'

[schedule]
cron = "0 6 1 * *"
timezone = "Asia/Shanghai"

[sources.roster]
kind = "roster"
paths = ['{raw / "roster.csv"}']
[sources.roster.columns]
county = "区县"
township = "乡镇（街道）"
village = "村（社区）"
household_id = "户编号"
head_name = "户主姓名"
head_id_number = "户主身份证号"
name = "姓名"
id_number = "身份证号码"
sex = "性别"
birth_date = "出生日期"
relation = "与户主关系"
benefit_type = "救助类型"
household_size = "保障人数"
monthly_amount = "个人月保障金额（元）"
enrolled_month = "纳入年月"
gradual_exit_month = "渐退起始年月"
health = "健康状况"
phone = "联系电话"

[sources.police_deaths]
kind = "deaths"
label = "公安"
paths = ['{raw / "deaths.csv"}']
[sources.police_deaths.columns]
name = "姓名"
id_number = "公民身份号码"
sex = "性别"
birth_date = "出生日期"
death_date = "死亡日期"
deregistration_date = "注销日期"
reason = "注销原因"
address = "户籍地址"
police_station = "派出所"

[sources.population]
kind = "population"
label = "计生"
paths = ['{raw / "population.csv"}']
[sources.population.columns]
name = "姓名"
id_number = "身份证号"
sex = "性别"
birth_date = "出生日期"
address = "户籍地址"
household_no = "户号"
relation = "与户主关系"
status = "人员状态"
change_date = "变动日期"
""", encoding="utf-8")
    return config


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(log_path: Path, lines: int = 40) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    return "dibao serve output:\n" + "\n".join(text.splitlines()[-lines:])


def _server_pid(log_path: Path) -> int | None:
    match = re.search(r"本地 Prefect 服务器进程号 (\d+)", log_path.read_text(encoding="utf-8", errors="replace"))
    return int(match[1]) if match else None


def _wait_for_deployment(client: httpx.Client, proc: subprocess.Popen, log_path: Path) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dibao serve exited with {proc.returncode}\n{_tail(log_path)}"
        try:
            response = client.get(f"/deployments/name/{DEPLOYMENT}")
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise AssertionError(f"no deployment {DEPLOYMENT} within {READY_TIMEOUT} s\n{_tail(log_path)}")


def _call(client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    """One API request, retried as Prefect's own client does: the server's SQLite answers
    503 ("database is locked") now and then while its services write."""
    for attempt in range(10):
        try:
            response = client.request(method, url, **kwargs)
            if response.status_code not in (429, 502, 503):
                return response
        except httpx.TransportError:
            if method != "GET" or attempt == 9:   # a POST may have been done: never twice
                raise
        time.sleep(1 + attempt)
    return response


def _create_run(client: httpx.Client, deployment_id: str, body: dict) -> dict:
    response = _call(client, "POST", f"/deployments/{deployment_id}/create_flow_run", json=body)
    response.raise_for_status()
    return response.json()


def _wait_for_final_state(client: httpx.Client, run_id: str, proc: subprocess.Popen, log_path: Path) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT
    state: dict = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dibao serve exited with {proc.returncode}\n{_tail(log_path)}"
        response = _call(client, "GET", f"/flow_runs/{run_id}")
        response.raise_for_status()
        state = response.json()["state"] or {}
        if state.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(2)
    raise AssertionError(f"run not finished within {RUN_TIMEOUT} s (last state {state.get('type')})\n"
                         f"{_tail(log_path)}")


def _stop(proc: subprocess.Popen, server_pid: int | None) -> int | None:
    """SIGTERM to the `dibao serve` process group, SIGKILL after the timeout; then make sure
    the server it started (its own process group) is gone too.  Returns serve's exit code."""
    code = proc.poll()
    if code is None:
        _killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            code = None
    if server_pid is not None and _alive(server_pid):
        _killpg(server_pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        if _alive(server_pid):
            _killpg(server_pid, signal.SIGKILL)
        code = None  # serve should have stopped it itself
    return code


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(pid, 0): look at its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True
