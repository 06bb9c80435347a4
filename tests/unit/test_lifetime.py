"""A fresh Prefect home starts from the migrated empty database `make install` made
(flows/lifetime.py seed_prefect_home), and never loses a database it already has."""
from __future__ import annotations

import sqlite3

import pytest

from flows import lifetime


@pytest.fixture
def template(tmp_path, monkeypatch):
    folder = tmp_path / "template"
    folder.mkdir()
    with sqlite3.connect(folder / lifetime.PREFECT_DB_NAME) as db:
        db.execute("create table alembic_version (version_num text)")
        db.execute("insert into alembic_version values ('head-of-this-prefect')")
    monkeypatch.setattr(lifetime, "PREFECT_HOME_TEMPLATE", folder)
    for name in ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _version(path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("select version_num from alembic_version").fetchone()[0]


def test_a_fresh_home_gets_the_migrated_database_readable_by_its_owner_only(template, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("PREFECT_HOME", str(home))
    assert lifetime.seed_prefect_home()
    seeded = home / lifetime.PREFECT_DB_NAME
    assert _version(seeded) == "head-of-this-prefect"
    assert seeded.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in home.iterdir()] == [lifetime.PREFECT_DB_NAME]   # no partial copy left


def test_an_existing_database_is_never_replaced(template, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / lifetime.PREFECT_DB_NAME) as db:
        db.execute("create table alembic_version (version_num text)")
        db.execute("insert into alembic_version values ('runs-of-past-months')")
    monkeypatch.setenv("PREFECT_HOME", str(home))
    assert not lifetime.seed_prefect_home()
    assert _version(home / lifetime.PREFECT_DB_NAME) == "runs-of-past-months"


def test_no_seed_for_a_database_elsewhere_or_without_a_template(template, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://office/prefect")
    assert not lifetime.seed_prefect_home()
    monkeypatch.delenv("PREFECT_SERVER_DATABASE_CONNECTION_URL")
    monkeypatch.setattr(lifetime, "PREFECT_HOME_TEMPLATE", tmp_path / "not-installed")
    assert not lifetime.seed_prefect_home()
    assert not (home / lifetime.PREFECT_DB_NAME).exists()
