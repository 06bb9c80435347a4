"""Machine faults, step by step and without Prefect: the Chinese causes (disk full, no
permission, read-only, out of memory, a damaged warehouse), the space estimate, DuckDB's
[engine] limits, warehouse generations and `dibao backups`, and which errors are retried.
The whole runs through the CLI (kill -9, Ctrl-C, a full disk) are in test_fault_battery.py."""
from __future__ import annotations

import re

import dataclasses
import errno
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from flows import faults, generations, pipeline, warehouse
from flows.cli import main
from flows.config import ConfigError, EngineSettings, load_settings
from flows.errors import RunStepError
from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv

A = make_id("19500101", "121")
B = make_id("19600202", "232")


def write_world(folder: Path) -> dict[str, list[Path]]:
    return {
        "roster": [write_csv(folder / "roster.csv", ROSTER_HEADER,
                             [member("张三", A, household="H1"), member("李梅", B, household="H2")])],
        "police_deaths": [write_csv(folder / "deaths.csv", DEATHS_HEADER, [death("张三", A, "2020-02-10")], "gb18030")],
        "population": [write_csv(folder / "population.csv", POPULATION_HEADER, [person("张三", A), person("李梅", B)])],
        "cremation": [], "poverty": [], "assistance": [],
    }


def run_once(tmp: Path, month: str = "2020-05", keep: int = 3) -> pipeline.RunPlan:
    """One run as the flow does it (lock, copies, steps, swap, generations), without Prefect."""
    import datetime as dt

    settings = load_settings()
    db = tmp / "w" / "warehouse.duckdb"
    plan = pipeline.RunPlan(month, f"run-{month}-{dt.datetime.now():%H%M%S%f}", db, tmp / "out" / month,
                            write_world(tmp / "in"), backups_dir=generations.default_folder(db), backups_keep=keep)
    with pipeline.exclusive_run(plan) as (work_db, work_out):
        pipeline.run_month_steps(work_db, work_out, plan, settings)
    return plan


# ---------------------------------------------------------------- causes

@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "磁盘空间不足"), (errno.EACCES, "没有权限"), (errno.EPERM, "没有权限"),
    (errno.EROFS, "只读"), (errno.EFBIG, "文件过大"),
])
def test_an_os_error_becomes_a_chinese_cause_naming_the_path(tmp_path, code, words):
    fault = faults.explain(OSError(code, os.strerror(code), str(tmp_path / "out" / "x.xlsx")))
    assert isinstance(fault, faults.RunFault)
    assert words in str(fault) and str(tmp_path / "out" / "x.xlsx") in str(fault)


def test_disk_full_without_a_file_name_says_which_disks_and_how_much_is_free(tmp_path):
    with faults.run_locations(warehouse=tmp_path):
        fault = faults.explain(OSError(errno.ENOSPC, "No space left on device"))
    assert str(tmp_path) in str(fault) and "剩余" in str(fault) and "MB" in str(fault)


def test_a_file_that_is_missing_is_no_machine_fault_and_is_not_transient(tmp_path):
    missing = FileNotFoundError(errno.ENOENT, "No such file", str(tmp_path / "x"))
    assert faults.explain(missing) is None and not faults.is_transient(missing)
    assert faults.is_transient(OSError(errno.EBUSY, "busy"))


def test_out_of_memory_names_the_memory_limit_setting(tmp_path):
    settings = dataclasses.replace(load_settings(), engine=EngineSettings(memory_limit="20MB", threads=1))
    warehouse.use_engine(settings)
    try:
        con = warehouse.connect(":memory:")
        assert con.execute("select current_setting('threads')").fetchone()[0] == 1
        with pytest.raises(duckdb.OutOfMemoryException) as caught:
            con.execute("select md5(range::varchar) b, count(*) from range(3000000) group by b").fetchall()
        message = str(faults.explain(caught.value))
    finally:
        warehouse.use_engine(load_settings())
    assert "内存不足" in message and "[engine] memory_limit = 20MB" in message and str(settings.config_path) in message


def test_engine_settings_come_from_the_config_and_are_checked(tmp_path):
    base = load_settings().config_path
    good = tmp_path / "good.toml"
    good.write_text(f'extends = "{base}"\n[engine]\nmemory_limit = "2GB"\ntemp_directory = "{tmp_path / "spill"}"\n'
                    "threads = 1\n[backups]\nkeep = 5\n", encoding="utf-8")
    settings = load_settings(good)
    assert settings.engine == EngineSettings("2GB", str(tmp_path / "spill"), 1) and settings.backups_keep == 5
    warehouse.use_engine(settings)
    try:
        con = warehouse.connect(tmp_path / "x.duckdb")
        limit, spill = con.execute("select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
        con.close()
    finally:
        warehouse.use_engine(load_settings())
    assert limit.startswith("1.8") and spill == str(tmp_path / "spill")   # DuckDB reports 2GB as 1.8 GiB
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{base}"\n[engine]\nmemory_limit = "lots"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="memory_limit"):
        load_settings(bad)


def test_only_transient_errors_are_retried():
    from prefect.states import Failed

    from flows.reconcile import only_transient

    busy, broken = RunStepError("步骤「读取数据」失败：OSError"), RunStepError("步骤「读取数据」失败：TypeError")
    busy.transient = True
    assert only_transient(None, None, Failed(data=busy))
    assert not only_transient(None, None, Failed(data=broken))
    assert not only_transient(None, None, Failed(data=faults.RunFault("磁盘空间不足")))


# ---------------------------------------------------------------- space

@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs (root only)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_run_that_cannot_fit_is_refused_before_it_starts_with_needed_and_free_space(tmp_path, small_disk):
    big_input = tmp_path / "roster.csv"
    big_input.write_bytes(b"x" * 2_000_000)
    with pytest.raises(faults.RunFault) as caught:
        faults.check_space(small_disk / "warehouse.duckdb", small_disk / "out" / "2020-05", [big_input])
    message = str(caught.value)
    assert "磁盘空间不足" in message and "估计需要约" in message and "剩余 3.1 MB" in message
    faults.check_space(tmp_path / "warehouse.duckdb", tmp_path / "out" / "2020-05", [big_input])  # room here


# ---------------------------------------------------------------- generations

def test_each_run_keeps_the_warehouse_it_replaces_and_only_the_newest_few(tmp_path):
    for _ in range(4):
        plan = run_once(tmp_path, keep=2)
    kept = generations.list_generations(plan.backups_dir)
    assert len(kept) == 2 and all(g.ok for g in kept)
    assert [g.runs for g in kept] == [3, 2]                     # newest first: after run 3, after run 2
    assert generations.inspect(plan.db_path).runs == 4
    assert not list(plan.db_path.parent.glob(".warehouse.duckdb.run-*"))


def test_a_truncated_warehouse_stops_the_run_unchanged_and_a_backup_restores_it(tmp_path, capsys):
    plan = run_once(tmp_path)
    plan = run_once(tmp_path)
    with open(plan.db_path, "r+b") as handle:
        handle.truncate(plan.db_path.stat().st_size // 2)
    damaged = plan.db_path.read_bytes()
    out_before = sorted(p.name for p in plan.out_dir.rglob("*"))
    with pytest.raises(generations.WarehouseDamaged) as caught:
        run_once(tmp_path)
    assert str(plan.db_path) in str(caught.value) and "dibao backups restore" in str(caught.value)
    assert plan.db_path.read_bytes() == damaged and sorted(p.name for p in plan.out_dir.rglob("*")) == out_before

    args = ["--db", str(plan.db_path)]
    assert main(["backups", "list", *args]) == 0
    listing = capsys.readouterr().out
    assert ("内容已损坏" in listing or "无法打开" in listing) and re.search(r"^\s*1\s+完好", listing, re.M)
    assert main(["backups", "restore", "1", *args]) == 0
    assert generations.inspect(plan.db_path).ok and generations.inspect(plan.db_path).runs == 1
    assert list(plan.db_path.parent.glob("warehouse.duckdb.damaged-*"))      # kept aside, not deleted
    run_once(tmp_path)                                                         # and the next run succeeds
    assert generations.inspect(plan.db_path).runs == 2


def test_restoring_a_damaged_backup_is_refused(tmp_path, capsys):
    plan = run_once(tmp_path)
    plan = run_once(tmp_path)
    (backup,) = generations.list_paths(plan.backups_dir)
    os.truncate(backup, backup.stat().st_size // 2)
    before = plan.db_path.read_bytes()
    assert main(["backups", "restore", "1", "--db", str(plan.db_path)]) == 1
    assert "不能用于恢复" in capsys.readouterr().err
    assert plan.db_path.read_bytes() == before
