"""Returned sheets as a careless or dishonest village clerk would make them (issue 24).

Forged `_meta` (another village's case, fingerprints recomputed), rows moved between villages,
recovery amounts on foreign or over-balance cases, a duplicate stopped on both listings, a
registry-certain death answered 不属实, copies of the same answers, hostile files: nothing is
recorded from a refused file, the message names the file (never another village's case id),
the other files of the batch are still imported, and a village's denial of an exact-ID police
death stays on the office's lists until a township decision with reason, evidence and officer.
Real pipeline steps on real files; workbooks forged with openpyxl as an attacker would."""
from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows import pipeline, warehouse
from flows.cases.township import TownshipDecisionError, decide
from flows.config import load_settings
from flows.cases.decisions import record_returns
from flows.pipeline import refresh_after_returns
from flows.reports.workbooks import case_set_fingerprint, row_fingerprint
from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv
from test_returns import fill

A = make_id("19500101", "121")   # 张三, 天竺村: exact-ID police death
B = make_id("19600202", "232")   # 李梅, 龙井村: exact-ID police death
D = make_id("19700303", "343")   # 赵六, 天竺村: listed in two households
MAY, JUNE, JULY = "2020-05", "2020-06", "2020-07"


def run(tmp: Path, month: str) -> Path:
    """One month through the pipeline's own steps (no Prefect): the same roster every month."""
    folder = tmp / "in" / month
    folder.mkdir(parents=True, exist_ok=True)
    roster = [member("张三", A, household="H1"), member("李梅", B, household="H2", village="龙井村"),
              member("赵六", D, household="H5"), member("赵六", D, household="H6")]
    files = {
        "roster": [write_csv(folder / "roster.csv", ROSTER_HEADER, roster)],
        "police_deaths": [write_csv(folder / "deaths.csv", DEATHS_HEADER,
                                    [death("张三", A, "2020-02-10"), death("李梅", B, "2020-03-01")])],
        "population": [write_csv(folder / "population.csv", POPULATION_HEADER,
                                 [person("张三", A), person("李梅", B), person("赵六", D)])],
        "cremation": [], "poverty": [], "assistance": [],
    }
    settings = load_settings()
    plan = pipeline.RunPlan(month, f"forgery-{month}", tmp / "warehouse.duckdb", tmp / "out" / month, files)
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    pipeline.run_month_steps(plan.db_path, plan.out_dir, plan, settings)
    return plan.out_dir


def query(db: Path, sql: str, params=None) -> list[tuple]:
    con = warehouse.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def recorded_state(db: Path) -> tuple:
    """Everything a returned file could change."""
    return (query(db, "select case_id, result, choice from decisions order by all"),
            query(db, "select case_id, amount from recovery_events order by all"),
            query(db, "select case_id, status from cases order by all"),
            query(db, "select count(*) from decision_sources"))


def sheet(out: Path, village: str, month: str) -> Path:
    return out / "villages" / f"回龙镇_{village}_异常核实表_{month}.xlsx"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forgery")
    out = run(tmp, MAY)
    db = tmp / "warehouse.duckdb"
    case = {(rule, village, household): case_id for rule, village, household, case_id in query(
        db, "select rule, village, household_id, case_id from exceptions where month = ?", [MAY])}
    return tmp, db, out, case


def copy_of(path: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or path.name)
    shutil.copy(path, target)
    return target


def test_a_forged_meta_carrying_another_villages_case_is_refused(world, tmp_path):
    tmp, db, out, case = world
    foreign = case["DECEASED_PAID", "龙井村", "H2"]
    forged = copy_of(sheet(out, "天竺村", MAY), tmp_path)
    book = load_workbook(forged)
    meta = book["_meta"]
    # The attacker adds 龙井村's case to 天竺村's list, with every unkeyed hash recomputed.
    shown_id = f"{B[:6]}********{B[-4:]}"
    meta.append(["case", foreign, "死亡疑点", row_fingerprint(foreign, shown_id, "李梅"), "0"])
    ids = [r[1] for r in meta.iter_rows(values_only=True) if r[0] == "case"]
    for row in meta.iter_rows():
        if row[0].value == "case_fingerprint":
            row[1].value = case_set_fingerprint(ids)
    ws = book["死亡疑点"]
    header = [c.value for c in ws[3]]
    new_row = ws.max_row + 1
    for name, value in {"核查编号": foreign, "姓名": "李梅", "身份证号": shown_id, "核实结果": "属实"}.items():
        ws.cell(new_row, header.index(name) + 1).value = value
    book.save(forged)
    before = recorded_state(db)
    outcome, = record_returns(db, MAY, [forged])
    assert outcome.recorded == 0 and forged.name in outcome.error and "核对码不符" in outcome.error
    assert foreign not in outcome.error
    assert recorded_state(db) == before


def test_a_row_moved_in_from_another_village_is_refused(world, tmp_path):
    tmp, db, out, case = world
    foreign = case["DECEASED_PAID", "龙井村", "H2"]
    moved = copy_of(sheet(out, "天竺村", MAY), tmp_path)
    source = load_workbook(sheet(out, "龙井村", MAY))["死亡疑点"]
    book = load_workbook(moved)
    ws = book["死亡疑点"]
    values = [c.value for c in source[4]]
    row = ws.max_row + 1   # pasted under the table
    for col, value in enumerate(values, start=1):
        ws.cell(row, col).value = value
    header = [c.value for c in ws[3]]
    ws.cell(row, header.index("核实结果") + 1).value = "属实"
    book.save(moved)
    before = recorded_state(db)
    outcome, = record_returns(db, MAY, [moved])
    assert outcome.recorded == 0 and moved.name in outcome.error and "不是本表下发时的编号" in outcome.error
    assert foreign not in outcome.error
    assert recorded_state(db) == before


def test_a_duplicate_stopped_on_every_listing_is_refused_and_a_choice_is_recorded(world, tmp_path):
    tmp, db, out, case = world
    h5, h6 = case["DUPLICATE_BENEFIT", "天竺村", "H5"], case["DUPLICATE_BENEFIT", "天竺村", "H6"]
    both = copy_of(sheet(out, "天竺村", MAY), tmp_path / "both")
    fill(both, {h5: ("停发此处", "两处都停"), h6: ("停发此处", "")})
    keep_all = copy_of(sheet(out, "天竺村", MAY), tmp_path / "keep")
    fill(keep_all, {h5: ("保留此处", ""), h6: ("保留此处", "")})
    old_style = copy_of(sheet(out, "天竺村", MAY), tmp_path / "old")
    fill(old_style, {h5: ("属实", "")})
    before = recorded_state(db)
    refused = record_returns(db, MAY, [both, keep_all, old_style])
    assert [o.recorded for o in refused] == [0, 0, 0]
    assert "至少应保留一处" in refused[0].error and h5 in refused[0].error
    assert "只能保留一处" in refused[1].error
    assert "“停发此处”" in refused[2].error                      # 属实 is not an answer on this sheet
    assert recorded_state(db) == before

    chosen = copy_of(sheet(out, "天竺村", MAY), tmp_path / "chosen")
    fill(chosen, {h5: ("保留此处", "本户实际居住"), h6: ("停发此处", "已迁入H5")})
    outcome, = record_returns(db, MAY, [chosen])
    assert outcome.error is None and outcome.recorded == 2
    assert query(db, "select case_id, result, choice from v_effective_decisions where case_id in (?, ?) "
                     "order by case_id", [h5, h6]) == sorted([(h5, "属实", "保留此处"), (h6, "属实", "停发此处")])
    # the kept listing cannot be stopped later from another copy: that would stop both
    later = copy_of(sheet(out, "天竺村", MAY), tmp_path / "later")
    fill(later, {h5: ("停发此处", "")})
    late, = record_returns(db, MAY, [later])
    assert late.recorded == 0 and late.error


def test_copies_of_the_same_answers_are_one_decision_with_every_file_in_its_lineage(world, tmp_path):
    tmp, db, out, case = world
    lijing = case["DECEASED_PAID", "龙井村", "H2"]
    copies = []
    for n in range(3):
        copies.append(copy_of(sheet(out, "龙井村", MAY), tmp_path, f"龙井村-{n}.xlsx"))
        fill(copies[-1], {lijing: ("属实", f"已去世（第{n + 1}份）")})   # remarks differ, the answer not
    outcomes = record_returns(db, MAY, copies)
    assert [(o.recorded, o.repeated, o.error) for o in outcomes] == [(1, 0, None), (0, 1, None), (0, 1, None)]
    assert query(db, "select count(*) from decisions where case_id = ?", [lijing]) == [(1,)]
    assert query(db, "select source_file, outcome from decision_sources where subject_id = ? order by source_file",
                 [lijing]) == [("龙井村-0.xlsx", "recorded"), ("龙井村-1.xlsx", "same_as_recorded"),
                               ("龙井村-2.xlsx", "same_as_recorded")]
    trail = query(db, "select count(*) from decisions where case_id = ? and file_sha256 is not null "
                      "and sheet = '死亡疑点' and row_number >= 4 and imported_by is not null and decided_by = '龙井村'",
                  [lijing])
    assert trail == [(1,)]


def test_hostile_files_fail_fast_and_the_rest_of_the_batch_is_imported(world, tmp_path):
    tmp, db, out, case = world
    big_cell = tmp_path / "大单元格.xlsx"
    with zipfile.ZipFile(sheet(out, "天竺村", MAY)) as original, \
            zipfile.ZipFile(big_cell, "w", zipfile.ZIP_DEFLATED) as forged:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":   # a 64 MB cell in 说明, ≈ 100 KB zipped
                data = data.replace(b"</sheetData>", b'<row r="999"><c r="A999" t="inlineStr"><is><t>'
                                    + b"x" * (64 << 20) + b"</t></is></c></row></sheetData>")
            forged.writestr(item, data)
    many_rows = tmp_path / "百万行.xlsx"
    with zipfile.ZipFile(sheet(out, "天竺村", MAY)) as original, \
            zipfile.ZipFile(many_rows, "w", zipfile.ZIP_DEFLATED) as forged:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>1</t></is></c></row>' % (n, n)
                                for n in range(100, 1_000_100))
                data = data.replace(b"</sheetData>", rows + b"</sheetData>")
            forged.writestr(item, data)
    assert big_cell.stat().st_size < 2 << 20
    valid = copy_of(sheet(out, "龙井村", MAY), tmp_path / "valid", "龙井村-有效.xlsx")
    xls = tmp_path / "旧格式.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0not really")
    outcomes = record_returns(db, MAY, [big_cell, many_rows, xls, valid])
    assert "解压后超过" in outcomes[0].error and "解压后超过" in outcomes[1].error
    assert "另存为" in outcomes[2].error and ".xlsx" in outcomes[2].error
    assert outcomes[3].error is None


def test_a_certain_death_denied_by_the_village_waits_for_the_township(world, tmp_path):
    """May: 天竺村 answers 不属实 on 张三's exact-ID police death.  The case is disputed, on the
    镇级复核清单 and, in June, still on the village sheet and the 督办清单 (待镇复核).  A township
    decision without reason and evidence is refused; with them it closes the case, and July
    no longer sends it."""
    tmp, db, out, case = world
    zhang = case["DECEASED_PAID", "天竺村", "H1"]
    denied = copy_of(sheet(out, "天竺村", MAY), tmp_path, "天竺村-不属实.xlsx")
    fill(denied, {zhang: ("不属实", "本人健在")})
    outcome, = record_returns(db, MAY, [denied])
    assert outcome.error is None and outcome.disputed == [zhang]
    assert query(db, "select status from cases where case_id = ?", [zhang]) == [("disputed",)]
    refresh_after_returns(db, MAY, out, load_settings())
    review = load_workbook(out / "summary" / f"回龙镇_镇级复核清单_{MAY}.xlsx").active
    rows = [[c.value for c in r] for r in review.iter_rows(min_row=4)]
    assert [(r[2], r[11], r[12]) for r in rows] == [(zhang, "不属实", "本人健在")]

    june = run(tmp, JUNE)
    june_sheet = load_workbook(sheet(june, "天竺村", JUNE))["死亡疑点"]
    assert zhang in [c.value for c in june_sheet["B"]]
    supervision = load_workbook(june / "summary" / f"回龙镇_督办清单_{JUNE}.xlsx").active
    assert (zhang, "待镇复核") in [(r[2].value, r[8].value) for r in supervision.iter_rows(min_row=4)]
    with pytest.raises(TownshipDecisionError, match="理由"):
        decide(db, zhang, "不属实", officer="王科员")
    assert query(db, "select status from cases where case_id = ?", [zhang]) == [("disputed",)]
    status = decide(db, zhang.lower(), "不属实", reason="本人健在", evidence="本人到场核验 2020-06-12，公安更正死亡注销",
                    officer="王科员")
    assert status == "false_positive"
    trail = query(db, "select origin, decided_by, evidence from decisions where case_id = ? order by decided_at",
                  [zhang])
    assert trail == [("village", "天竺村", None), ("township", "王科员", "本人到场核验 2020-06-12，公安更正死亡注销")]
    july = run(tmp, JULY)
    july_sheet = load_workbook(sheet(july, "天竺村", JULY))
    assert zhang not in [c.value for ws in july_sheet.worksheets for c in ws["B"]]


def test_the_seal_is_keyed(world):
    """Recomputing _meta's hashes without the office key cannot make a valid seal."""
    from flows.cases import seal

    values = {"kind": "village_exceptions", "village": "天竺村"}
    rows = [("case", "C000001", "死亡疑点", "x" * 64, "0")]
    assert seal.verify({**values, "seal": seal.seal(values, rows)}, rows)
    unkeyed = hashlib.sha256(repr((values, rows)).encode()).hexdigest()
    assert not seal.verify({**values, "seal": unkeyed}, rows)
    assert not seal.verify({**values, "village": "龙井村", "seal": seal.seal(values, rows)}, rows)
    assert seal.seal(values, rows, key=b"another office") != seal.seal(values, rows)


def fill_money(path: Path, case_id: str, amount, *, add_columns: bool = False, sheet_name: str = "死亡疑点") -> None:
    """Write 已追回金额/追回日期 on a case's row (adding the two headers, as a forger would)."""
    book = load_workbook(path)
    ws = book[sheet_name]
    header = [c.value for c in ws[3]]
    if add_columns:
        for name in ("已追回金额", "追回日期"):
            ws.cell(3, len(header) + 1).value = name
            header.append(name)
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, header.index("核查编号") + 1).value == case_id)
    ws.cell(row, header.index("已追回金额") + 1).value = amount
    ws.cell(row, header.index("追回日期") + 1).value = "2020-07-05"
    book.save(path)


def test_recovery_only_on_issued_rows_and_never_beyond_the_balance(world, tmp_path):
    """After June and July: 李梅 (龙井村), confirmed in May, has a recovery entry; 天竺村 has none."""
    tmp, db, out, case = world
    lijing, zhao = case["DECEASED_PAID", "龙井村", "H2"], case["DUPLICATE_BENEFIT", "天竺村", "H6"]
    july = tmp / "out" / JULY
    ws = load_workbook(sheet(july, "龙井村", JULY))["死亡疑点"]
    header = [c.value for c in ws[3]]
    balance = ws.cell(4, header.index("应追缴余额（元）") + 1).value
    assert balance and balance > 0
    over = copy_of(sheet(july, "龙井村", JULY), tmp_path / "over")
    fill_money(over, lijing, balance + 1000)
    foreign = copy_of(sheet(july, "天竺村", JULY), tmp_path / "foreign")   # no recovery entry in 天竺村
    fill_money(foreign, zhao, 100, add_columns=True, sheet_name="重复享受")
    before = recorded_state(db)
    refused = record_returns(db, JULY, [over, foreign])
    assert "超过未追回余额" in refused[0].error and f"{balance:.2f}" in refused[0].error
    assert "不能填写已追回金额" in refused[1].error and zhao in refused[1].error
    assert recorded_state(db) == before

    # the whole balance paid back, and the same sheet saved again as a copy: recorded once
    paid = copy_of(sheet(july, "龙井村", JULY), tmp_path / "paid")
    fill_money(paid, lijing, balance)
    again = copy_of(sheet(july, "龙井村", JULY), tmp_path / "again", "龙井村-复印件.xlsx")
    fill_money(again, lijing, balance)
    outcomes = record_returns(db, JULY, [paid, again])
    assert [o.recovered for o in outcomes] == [1, 0] and all(o.error is None for o in outcomes)
    assert query(db, "select case_id, amount, sheet, imported_by is not null from recovery_events") == [
        (lijing, balance, "死亡疑点", True)]
