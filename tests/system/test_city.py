"""A city's month over three generated counties: in this process and through a real
Prefect server, work pool and two workers; cross-county findings; roll-ups; a failed
county re-run alone; and no name or ID in what the city or Prefect keeps."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from flows import pipeline, warehouse
from flows.reports import month as month_reports
from flows.config import load_settings
from flows.counties.city_config import load_city
from flows.counties.county import run_inputs
from flows.generate.counties import county_keys, generate_counties, write_city_config
from flows.normalize.names import normalize_name

MONTH = "2020-05"
SEEDS = (11, 12, 13)
CITY_KEY = "test-city-key-0123456789abcdef"


@pytest.fixture(scope="module")
def counties(tmp_path_factory):
    raw = tmp_path_factory.mktemp("counties")
    truth = generate_counties(raw, MONTH, SEEDS)
    return raw, truth


@pytest.fixture()
def city_env(monkeypatch):
    monkeypatch.setenv("DIBAO_CITY_KEY", CITY_KEY)


def city_cli(config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", "city", "--month", MONTH, "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "DIBAO_CITY_KEY": CITY_KEY, **(env or {})})


def exceptions_of(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def id_in_other_counties(city, key: str, rule: str, id_number: str) -> bool:
    """Independent evidence for a cross-county finding the generator did not inject: the
    ID is on another county's roster (DUPLICATE_BENEFIT) or in its police/cremation deaths."""
    # the county's kept rows: its roster, or its police and cremation deaths (kind 'deaths')
    query = ("select count(*) from stg_roster where id_number = ?" if rule == "DUPLICATE_BENEFIT" else
             "select count(*) from stg_death_evidence where source_kind = 'deaths' and id_number = ?")
    for other, county in city.counties.items():
        if other == key:
            continue
        con = warehouse.connect(county.warehouse, read_only=True)
        try:
            if con.execute(query, [id_number]).fetchone()[0]:
                return True
        finally:
            con.close()
    return False


_SINGLE: dict[str, pd.DataFrame] = {}


def single_county_exceptions(config: Path, key: str, tmp: Path) -> pd.DataFrame:
    """The same county's files reconciled on their own, without the city (once per module:
    every test reads the same generated files)."""
    if key not in _SINGLE:
        _SINGLE[key] = _reconcile_alone(config, key, tmp)
    return _SINGLE[key]


def _reconcile_alone(config: Path, key: str, tmp: Path) -> pd.DataFrame:
    county = load_city(config).counties[key]
    settings = load_settings(county.config)
    out = tmp / "single" / key
    out.mkdir(parents=True)
    plan = pipeline.plan_run(settings, MONTH, overrides=run_inputs(county, settings, MONTH),
                             out_dir=out, db_path=out / "w.duckdb")
    with warehouse.run_connection(plan.db_path):
        pipeline.load_sources(plan.db_path, plan, settings)
        pipeline.normalise(plan.db_path, plan, settings)
        pipeline.match(plan.db_path, plan, settings)
    con = warehouse.connect(plan.db_path)
    try:
        month_reports.write_machine_outputs(con, plan, out)
    finally:
        con.close()
    return exceptions_of(out / "exceptions.csv")


def cross_county_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["matched_source"].str.startswith("跨区县")]


def annex_rows(path: Path) -> dict[str, tuple]:
    """附件4 data rows: first column -> (低保户数, 低保人数)."""
    ws = load_workbook(path).active
    rows = {}
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[0] and row[1] is not None:
            rows[row[0]] = (row[1], row[2])
    return rows


def check_city_month(config: Path, truth: pd.DataFrame, tmp: Path) -> None:
    city = load_city(config)
    found = []
    for key, county in city.counties.items():
        county_rows = exceptions_of(county.out_dir(MONTH) / "exceptions.csv")
        cross = cross_county_rows(county_rows)
        own = county_rows.drop(cross.index).reset_index(drop=True)
        pd.testing.assert_frame_equal(own, single_county_exceptions(config, key, tmp))
        found += [(key, r.rule, r.id_number) for r in cross.itertuples()]
        # the village workbooks show them too
        villages = {r.village for r in cross.itertuples()}
        for village in villages:
            book = next((county.out_dir(MONTH) / "villages").glob(f"*_{village}_异常核实表_*.xlsx"))
            text = " ".join(str(c) for ws in load_workbook(book).worksheets for r in ws.iter_rows(values_only=True)
                            for c in r if c)
            assert "跨区县" in text
    expected = {(r.county, r.rule, r.id_number) for r in truth.itertuples()}
    assert expected <= set(found)                       # every injected one
    for key, rule, id_number in set(found) - expected:  # and others only where the data say so
        assert id_in_other_counties(city, key, rule, id_number), (key, rule)

    # roll-ups against DuckDB counts over the county warehouses
    summary = city.out_dir(MONTH) / "summary"
    city_rows = annex_rows(summary / f"{city.name}_城乡低保摸排处理汇总表_{MONTH}.xlsx")
    total_households = total_persons = 0
    for county in city.counties.values():
        con = warehouse.connect(county.warehouse, read_only=True)
        try:
            counts = con.execute("select township, count(distinct household_id), count(*) from stg_roster "
                                 "where benefit_type like '%低保%' group by township").fetchall()
        finally:
            con.close()
        rows = annex_rows(summary / f"{county.name}_城乡低保摸排处理汇总表_{MONTH}.xlsx")
        for township, households, persons in counts:
            assert rows[township] == (households, persons)
        households, persons = sum(c[1] for c in counts), sum(c[2] for c in counts)
        assert rows["合计"] == (households, persons)
        assert city_rows[county.name] == (households, persons)
        total_households, total_persons = total_households + households, total_persons + persons
    assert city_rows["合计"] == (total_households, total_persons)


def test_in_process_month_with_a_failed_county_rerun_alone(counties, tmp_path, city_env):
    raw, truth = counties
    config = write_city_config(raw, county_keys(len(SEEDS)), work_dir=tmp_path / "work")
    broken = raw / "county2" / "roster" / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    try:
        first = city_cli(config)
    finally:
        broken.unlink()
    assert first.returncode == 1, first.stderr[-3000:]
    assert "county2" in first.stderr and "broken.xlsx" in first.stderr and "汇总表缺报：乙县" in first.stderr
    city = load_city(config)
    assert (city.counties["county1"].out_dir(MONTH) / "exceptions.csv").is_file()
    assert (city.counties["county3"].out_dir(MONTH) / "exceptions.csv").is_file()
    assert not city.counties["county2"].out_dir(MONTH).exists()
    summary = city.out_dir(MONTH) / "summary"
    sheet = load_workbook(summary / f"{city.name}_城乡低保摸排处理汇总表_{MONTH}.xlsx").active
    text = " ".join(str(c) for r in sheet.iter_rows(values_only=True) for c in r if c)
    assert "缺报" in text and "乙县" in text and "broken.xlsx" in text

    again = city_cli(config, "--county", "county2")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "乙县" not in again.stderr
    check_city_month(config, truth, tmp_path)


# ---------------------------------------------------------------- Prefect server, pool, workers

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "Prefect server exited"
        try:
            with opener.open(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("Prefect server not healthy")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture()
def pool(tmp_path):
    """A real Prefect server on loopback, a process work pool and two workers."""
    home = tmp_path / "prefect-server"
    home.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'server.db'}"}
    env.pop("PREFECT_API_URL", None)
    logs = tmp_path / "pool-logs"
    logs.mkdir()
    processes = []
    try:
        with (logs / "server.log").open("wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                       "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        processes.append(server)
        wait_healthy(url, server)
        client_env = {**os.environ, "PREFECT_API_URL": url, "PREFECT_HOME": str(tmp_path / "prefect-client"),
                      "DIBAO_CITY_KEY": CITY_KEY, "PREFECT_LOGGING_LEVEL": "INFO",
                      "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO",   # the workers say which runs they took
                      "DIBAO_LOG_DIR": str(tmp_path / "dibao-logs"), "PREFECT_WORKER_QUERY_SECONDS": "2"}
        prefect = [sys.executable, "-m", "prefect"]
        subprocess.run([*prefect, "work-pool", "create", "dibao-test", "--type", "process"], env=client_env,
                       check=True, capture_output=True, timeout=120)
        for n in (1, 2):
            with (logs / f"worker{n}.log").open("wb") as log:
                processes.append(subprocess.Popen(
                    [*prefect, "worker", "start", "--pool", "dibao-test", "--name", f"worker{n}", "--limit", "2"],
                    env=client_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        yield {"url": url, "env": client_env, "home": home, "logs": logs, "workers": processes[1:]}
    finally:
        for process in reversed(processes):
            stop(process)


def people_in(raw: Path) -> tuple[set[str], set[str]]:
    """Every valid-looking ID and every name of the three counties' inputs."""
    ids, names = set(), set()
    for county in raw.iterdir():
        if not (county / "truth.csv").is_file():
            continue
        truth = pd.read_csv(county / "truth.csv", dtype=str)
        ids |= set(truth["id_number"].dropna())
        names |= set(truth["name"].dropna())
        for path in (county / "roster").glob("*.xlsx"):
            frame = pd.read_excel(path, header=None, dtype=str, engine="calamine")
            for value in frame.to_numpy().ravel():
                if isinstance(value, str) and len(value) == 18 and value[:17].isdigit():
                    ids.add(value.upper())
        deaths = pd.read_csv(next((county / "deaths").glob("*公安死亡*.csv")), dtype=str, encoding="gb18030")
        ids |= {v.upper() for v in deaths["公民身份号码"].dropna() if len(v) == 18}
        names |= {normalize_name(v) for v in deaths["姓名"].dropna()}
    cross = pd.read_csv(raw / "cross_truth.csv", dtype=str)
    ids |= set(cross["id_number"])
    names |= set(cross["name"])
    return ids, {n for n in names if n and len(n) >= 2}


def test_month_through_a_work_pool_with_two_workers(counties, tmp_path, pool):
    raw, truth = counties
    config = write_city_config(raw, county_keys(len(SEEDS)), work_dir=tmp_path / "work")
    deployed = city_cli(config, "--pool", "dibao-test", "--deploy", env=pool["env"])
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    result = city_cli(config, "--pool", "dibao-test", env=pool["env"])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    check_city_month(config, truth, tmp_path)
    worker_logs = " ".join((pool["logs"] / f"worker{n}.log").read_text(errors="ignore") for n in (1, 2))
    assert "county-reconciliation" in worker_logs or "county county" in worker_logs

    # What crossed county lines and what Prefect kept: no name, no raw ID.
    for worker in pool["workers"]:
        stop(worker)
    ids, names = people_in(raw)
    assert len(ids) > 3000 and len(names) > 1000
    city = load_city(config)
    searched = [city.warehouse, *city.exchange_dir(MONTH).rglob("*"), *city.out_dir(MONTH).rglob("*.json"),
                *pool["home"].rglob("*"), *pool["logs"].rglob("*"), *Path(pool["env"]["PREFECT_HOME"]).rglob("*"),
                *Path(pool["env"]["DIBAO_LOG_DIR"]).rglob("*")]
    longest = max(len(n) for n in names)
    texts = {"console": result.stdout + result.stderr}
    texts |= {str(p): p.read_bytes().decode("utf-8", errors="ignore") for p in searched if p.is_file()}
    assert any("county county1 reconcile" in t for t in texts.values())    # Prefect's records are searched
    for where, text in texts.items():
        leaked_ids = ids & {t.upper() for t in re.findall(r"(?=(\d{17}[\dXx]))", text)}
        leaked_names = names & chinese_substrings(text, longest)
        assert not leaked_ids, f"{len(leaked_ids)} ID numbers found in {where}"
        assert not leaked_names, f"{len(leaked_names)} names found in {where}: e.g. {sorted(leaked_names)[:3]}"


def chinese_substrings(text: str, longest: int = 4) -> set[str]:
    """Every run of 2..longest Chinese characters (or middle dots) in text: what a name
    found anywhere in it would be one of.  Much faster than searching for each name."""
    found = set()
    for run in re.findall(r"[\u3400-\u9fff·]{2,}", text):
        for size in range(2, longest + 1):
            found.update(run[i:i + size] for i in range(len(run) - size + 1))
    return found
