"""The warehouse at rest: encrypted with the key, refused without it, migrated from plaintext,
and after a run free of the month's copies of input rows."""
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flows import keys, pipeline, warehouse
from flows.reports import month as month_reports
from flows.config import load_settings
from flows.migrate import fingerprint, is_encrypted, migrate_to_encrypted
from flows.retention import forget_input_rows
from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, run_rules, write_csv

A = make_id("19500101", "121")
B = make_id("19600202", "232")
C = make_id("19700303", "343")
ROSTER = [member("张三丰", A, household="H1"), member("李梅花", B, household="H2"), member("王伟国", C, household="H3")]
DEATHS = [death("张三丰", A, "2020-02-10")]
POPULATION = [person("张三丰", A), person("李梅花", B)]
MONTH = "2020-05"
LAST_CASE_NUMBER = "select last_value from duckdb_sequences() where sequence_name = 'case_seq'"


@pytest.fixture()
def world(tmp_path):
    """A reconciled month in an encrypted warehouse (the test key from conftest)."""
    exceptions = run_rules(tmp_path, ROSTER, DEATHS, POPULATION)
    assert set(exceptions["rule"]) >= {"DECEASED_PAID", "NOT_IN_REGISTRY"}
    return tmp_path, exceptions


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_the_warehouse_file_holds_no_id_or_name_in_plain_bytes(world):
    tmp, _ = world
    content = (tmp / "warehouse.duckdb").read_bytes()
    for text in (A, B, C, "张三丰", "李梅花", "王伟国"):
        assert text.encode("utf-8") not in content
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)   # ...and the key opens it
    try:
        assert con.execute("select count(*) from stg_roster").fetchone()[0] == 3
    finally:
        con.close()


def test_wrong_and_missing_key_stop_with_exit_1_and_change_nothing(world):
    tmp, _ = world
    db = tmp / "warehouse.duckdb"
    before = digest(db)
    files = [tmp / "roster.csv", tmp / "deaths.csv", tmp / "population.csv"]
    run = ["run", "--month", MONTH, "--db", str(db), "--out", str(tmp / "out"),
           "--roster", str(files[0]), "--deaths", str(files[1]), "--population", str(files[2])]

    wrong = cli(*run, env=dict(os.environ, DIBAO_WAREHOUSE_KEY="not-the-key"))
    assert wrong.returncode == 1
    assert "密钥不正确" in wrong.stderr and "not-the-key" not in wrong.stderr + wrong.stdout
    missing_env = {k: v for k, v in os.environ.items() if k != keys.KEY_ENV}
    missing_env[keys.KEY_FILE_ENV] = str(tmp / "nowhere.key")
    missing = cli(*run, env=missing_env)
    assert missing.returncode == 1
    assert "没有找到数据库密钥" in missing.stderr and "dibao key init" in missing.stderr
    refused = cli("returns", "--month", MONTH, "--db", str(db), str(files[0]),
                  env=dict(os.environ, DIBAO_WAREHOUSE_KEY="not-the-key"))
    assert refused.returncode == 1 and "密钥不正确" in refused.stderr
    assert digest(db) == before and not (tmp / "out").exists()
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".")) == []   # no working copy left


def test_key_init_writes_an_owner_only_file_and_a_looser_one_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "warehouse.key"
    done = cli("key", "init", "--file", str(path), env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key) >= 40 and key not in done.stdout + done.stderr
    again = cli("key", "init", "--file", str(path), env=dict(os.environ))
    assert again.returncode == 1 and "已存在" in again.stderr and path.read_text().strip() == key

    monkeypatch.delenv(keys.KEY_ENV)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(path))
    assert keys.warehouse_key() == key
    path.chmod(0o644)
    with pytest.raises(keys.WarehouseKeyError, match="chmod 600"):
        keys.warehouse_key()


def test_a_plaintext_warehouse_migrates_and_gives_the_same_exceptions(world, tmp_path_factory):
    tmp, exceptions = world
    db = tmp / "warehouse.duckdb"
    # The same warehouse as an older version would have left it: plaintext.
    plain = tmp_path_factory.mktemp("plain") / "warehouse.duckdb"
    con = warehouse.connect(db, read_only=True)
    try:
        con.execute(f"attach {warehouse.sql_literal(str(plain))} as plain")
        con.execute(f"copy from database {warehouse.CATALOG} to plain")
        con.execute("detach plain")
        expected = fingerprint(con)
    finally:
        con.close()
    assert A.encode() in plain.read_bytes()
    with pytest.raises(keys.WarehouseKeyError, match="dibao key migrate"):
        warehouse.connect(plain)
    assert not is_encrypted(plain)

    done = cli("key", "migrate", "--db", str(plain), env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "已加密" in done.stdout
    assert is_encrypted(plain) and A.encode() not in plain.read_bytes()
    assert sorted(p.name for p in plain.parent.iterdir()) == ["warehouse.duckdb", "warehouse.duckdb.lock"]  # old file gone
    con = warehouse.connect(plain, read_only=True)
    try:
        assert fingerprint(con) == expected
    finally:
        con.close()
    # the next run on the migrated warehouse finds the same exceptions, under the same case ids
    settings = load_settings()
    plan = pipeline.RunPlan(MONTH, "test-again", plain, tmp / "out-again", {
        "roster": [tmp / "roster.csv"], "police_deaths": [tmp / "deaths.csv"],
        "population": [tmp / "population.csv"], "cremation": [], "poverty": [], "assistance": []})
    with warehouse.run_connection(plain):
        pipeline.load_sources(plain, plan, settings)
        pipeline.normalise(plain, plan, settings)
        pipeline.match(plain, plan, settings)
    con = warehouse.connect(plain, read_only=True)
    try:
        again = month_reports.month_exceptions(con, MONTH)
    finally:
        con.close()
    columns = ["rule", "case_id", "name", "id_number", "death_date", "months_overpaid", "detail"]
    assert again[columns].sort_values(["rule", "case_id"]).reset_index(drop=True).equals(
        exceptions[columns].sort_values(["rule", "case_id"]).reset_index(drop=True))
    second = cli("key", "migrate", "--db", str(plain), env=dict(os.environ))
    assert second.returncode == 0 and "已经加密" in second.stdout


def test_after_a_run_only_what_later_months_need_is_kept(world):
    tmp, _ = world
    db = tmp / "warehouse.duckdb"
    size_before = db.stat().st_size
    con = warehouse.connect(db, read_only=True)
    try:
        kept = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0]
                for t in ("exceptions", "cases", "runs", "rule_catalogue")}
        numbered = con.execute(LAST_CASE_NUMBER).fetchone()[0]
    finally:
        con.close()
    dropped = forget_input_rows(db)
    assert {"stg_roster", "stg_death_evidence", "rule_hits"} <= set(dropped)
    con = warehouse.connect(db, read_only=True)
    try:
        tables = set(warehouse.query_sql(con, "retention/warehouse_tables",
                                         {"catalog": warehouse.CATALOG})["table_name"])
        assert not {t for t in tables if t.startswith(("raw_", "norm_", "suspect_"))}
        assert {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in kept} == kept
        # new cases go on numbering where they left off: the sequence survived the rewrite
        assert con.execute(LAST_CASE_NUMBER).fetchone()[0] == numbered >= kept["cases"]
    finally:
        con.close()
    assert db.stat().st_size < size_before
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".")] == []


def test_a_config_that_names_its_key_file_wins_over_the_environment(tmp_path, monkeypatch):
    """The demo's config names the demo key: a machine key in the environment never shadows it."""
    from flows.config import load_settings

    key_path = keys.create_key_file(tmp_path / "own.key")
    config = tmp_path / "own.toml"
    config.write_text(f'extends = "{os.environ["DIBAO_CONFIG"]}"\n[warehouse]\nkey_file = "{key_path}"\n',
                      encoding="utf-8")
    settings = load_settings(config)
    assert settings.key_file == key_path
    monkeypatch.setenv(keys.KEY_ENV, "a-machine-key")
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(tmp_path / "machine.key"))
    keys.use_key_of(settings)
    assert keys.warehouse_key() == key_path.read_text(encoding="utf-8").strip()


def test_a_missing_demo_key_says_to_run_the_demo(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "DEMO_KEY_FILE", tmp_path / "data" / "demo" / "warehouse.key")
    monkeypatch.delenv(keys.KEY_ENV)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(tmp_path / "data" / "demo" / "warehouse.key"))
    with pytest.raises(keys.WarehouseKeyError, match="示例数据库的密钥 .* 不存在：请先运行 make demo"):
        keys.warehouse_key()
