"""Password-protected village files: they open with the village's password and not without,
the passwords sit in one owner-only file, and `dibao returns` reads protected returns."""
from __future__ import annotations

import dataclasses
import io
import stat
import zipfile

import msoffcrypto
import pandas as pd
import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import load_workbook

from flows import pipeline, warehouse
from flows.config import load_settings
from flows.cases.decisions import record_returns
from flows.reports.protection import is_protected, password_file_name
from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv
from test_returns import fill

A = make_id("19500101", "121")
B = make_id("19600202", "232")
C = make_id("19700303", "343")
MONTH = "2020-05"


@pytest.fixture(scope="module")
def protected(tmp_path_factory):
    """One month with protect_workbooks on: findings in 天竺村 and 龙井村."""
    tmp = tmp_path_factory.mktemp("protected")
    roster = [member("张三丰", A, household="H1"), member("李梅花", B, household="H2", village="龙井村"),
              member("王伟国", C, household="H3")]
    files = {
        "roster": [write_csv(tmp / "roster.csv", ROSTER_HEADER, roster)],
        "police_deaths": [write_csv(tmp / "deaths.csv", DEATHS_HEADER, [death("张三丰", A, "2020-02-10")])],
        "population": [write_csv(tmp / "population.csv", POPULATION_HEADER, [person("张三丰", A), person("王伟国", C)])],
        "cremation": [], "poverty": [], "assistance": [],
    }
    settings = dataclasses.replace(load_settings(), protect_workbooks=True)
    plan = pipeline.RunPlan(MONTH, "test-protected", tmp / "warehouse.duckdb", tmp / "out", files)
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    pipeline.run_month_steps(plan.db_path, plan.out_dir, plan, settings)
    passwords = pd.read_csv(plan.out_dir / password_file_name(MONTH), dtype=str, encoding="utf-8-sig")
    return tmp, plan.out_dir, dict(zip(passwords["村（社区）"], passwords["密码"]))


def decrypt(path, password: str) -> bytes:
    office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
    office.load_key(password=password, verify_password=True)
    plain = io.BytesIO()
    office.decrypt(plain)
    return plain.getvalue()


def encrypt(plain: bytes, password: str) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def test_village_workbooks_open_with_their_password_and_not_without(protected):
    _, out, passwords = protected
    assert set(passwords) == {"回龙镇_天竺村", "回龙镇_龙井村"}
    assert len(set(passwords.values())) == 2 and all(len(p) >= 10 for p in passwords.values())
    password_file = out / password_file_name(MONTH)
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert password_file.parent == out                                   # not among the files handed out
    books = sorted((out / "villages").glob("*.xlsx"))
    assert {b.name.split("_")[1] for b in books} == {"天竺村", "龙井村"}
    for book in books:
        assert is_protected(book.read_bytes())
        with pytest.raises((zipfile.BadZipFile, OSError, ValueError, KeyError)):
            load_workbook(book)
        other = next(p for place, p in passwords.items() if place != f"回龙镇_{book.name.split('_')[1]}")
        with pytest.raises(Exception, match="(?i)key|password|verif"):
            decrypt(book, other)
        opened = load_workbook(io.BytesIO(decrypt(book, passwords[f"回龙镇_{book.name.split('_')[1]}"])))
        assert "_meta" in opened.sheetnames
    for text in ("张三丰", A):                                             # nothing readable in the bytes
        assert text.encode() not in b"".join(b.read_bytes() for b in books)


def test_protected_returns_are_read_back_with_the_village_password(protected, tmp_path):
    tmp, out, passwords = protected
    book = next((out / "villages").glob("回龙镇_天竺村_异常核实表_*.xlsx"))
    plain = tmp_path / book.name
    plain.write_bytes(decrypt(book, passwords["回龙镇_天竺村"]))
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)
    try:
        case_ids = [c for c, in con.execute(
            "select case_id from exceptions where village = '天竺村' order by case_id").fetchall()]
    finally:
        con.close()
    fill(plain, {case_ids[0]: ("属实", "已核实")})
    returned = tmp_path / "returned" / book.name
    returned.parent.mkdir()
    returned.write_bytes(encrypt(plain.read_bytes(), passwords["回龙镇_天竺村"]))   # saved again with its password
    stranger = tmp_path / "stranger" / book.name
    stranger.parent.mkdir()
    stranger.write_bytes(encrypt(plain.read_bytes(), "someone-elses-password"))

    refused, = record_returns(tmp / "warehouse.duckdb", MONTH, [stranger])
    assert refused.error and "设有密码" in refused.error and refused.recorded == 0
    recorded, = record_returns(tmp / "warehouse.duckdb", MONTH, [returned])
    assert recorded.error is None and recorded.recorded == 1 and recorded.village == "天竺村"
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)
    try:
        assert con.execute("select case_id, result from decisions").fetchall() == [(case_ids[0], "属实")]
        audit = con.execute("select event, file, outcome from audit_trail where event = 'returns' order by recorded_at"
                            ).fetchall()
    finally:
        con.close()
    assert audit == [("returns", book.name, "refused"), ("returns", book.name, "recorded 1")]


def test_a_file_opened_with_another_villages_password_is_refused(protected, tmp_path):
    """龙井村's sheet, filled in and encrypted with 天竺村's password under 天竺村's file name: the
    importer finds the password that opens it, but it is not the password of the village the
    sheet was issued to — refused whole, nothing recorded (issue 24)."""
    tmp, out, passwords = protected
    book = next((out / "villages").glob("回龙镇_龙井村_异常核实表_*.xlsx"))
    plain = tmp_path / book.name
    plain.write_bytes(decrypt(book, passwords["回龙镇_龙井村"]))
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)
    try:
        case_id, = con.execute("select case_id from exceptions where village = '龙井村'").fetchone()
        before = con.execute("select count(*) from decisions").fetchone()
    finally:
        con.close()
    fill(plain, {case_id: ("不属实", "")})
    forged = tmp_path / "forged" / book.name.replace("龙井村", "天竺村")
    forged.parent.mkdir()
    forged.write_bytes(encrypt(plain.read_bytes(), passwords["回龙镇_天竺村"]))
    refused, = record_returns(tmp / "warehouse.duckdb", MONTH, [forged])
    assert refused.recorded == 0 and forged.name in refused.error and "其他村（社区）的密码" in refused.error
    assert case_id not in refused.error
    con = warehouse.connect(tmp / "warehouse.duckdb", read_only=True)
    try:
        assert con.execute("select count(*) from decisions").fetchone() == before
    finally:
        con.close()
