"""From finding to action over three months (issue 17's acceptance test).

May: 张三 (H1) and 李四 (H2, head of a two-person household) died and are still paid; 王五 (H3)
matches a death record but the village says 不属实; 赵六 (H4, 龙井村) is not in the registry
and nobody answers.  The village confirms 张三, 李四 and H2's household change.
June: the office has not stopped 张三 (escalated: 已核实仍在发放, 1 month paid since); 李四 is
gone and H2 is paid for one person (both actions done); 王五's death is in the police file under
his exact ID, so the village's 不属实 leaves it disputed until the township decides 不属实 after
checking him in person (issue 24); then he is not sent again and not counted.
July: 张三 is removed (done); 赵六's case, unanswered since May, is 逾期未核实.
Each month runs the real steps on real files; workbooks are read back with openpyxl.
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from flows import pipeline, warehouse
from flows.config import load_settings
from flows.cases.township import decide
from flows.cases.decisions import record_returns
from flows.pipeline import refresh_after_returns
from helpers import (DEATHS_HEADER, FAULT_RUNNER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person,
                     write_csv)
from test_returns import fill

A = make_id("19400101", "111")    # 张三, H1, died 2020-03
B = make_id("19450202", "222")    # 李四, head of H2, died 2020-04
B2 = make_id("19700707", "333")   # 李小, H2
C = make_id("19500303", "444")    # 王五, H3: a death record, denied by the village
D = make_id("19600404", "555")    # 赵六, H4 (龙井村): not in the registry, never answered

DEATHS = [death("张三", A, "2020-03-10"), death("李四", B, "2020-04-01"), death("王五", C, "2020-04-15")]
POPULATION = [person("张三", A), person("李四", B), person("李小", B2), person("王五", C)]


def roster(month: str) -> list[dict]:
    rows = []
    if month != "2020-07":
        rows.append(member("张三", A, household="H1", amount=400))
    if month == "2020-05":
        rows += [member("李四", B, household="H2", size=2, amount=350),
                 member("李小", B2, household="H2", relation="子女", size=2, amount=350, head="李四")]
    else:
        rows.append(member("李小", B2, household="H2", relation="户主", size=1, amount=350))
    rows += [member("王五", C, household="H3", amount=400),
             member("赵六", D, household="H4", village="龙井村", amount=400)]
    return rows


def run_month(tmp: Path, month: str) -> Path:
    """The run's steps called directly (as the flow calls them), into out/<month>."""
    folder = tmp / "in" / month
    files = {
        "roster": [str(write_csv(folder / "roster.csv", ROSTER_HEADER, roster(month)))],
        "police_deaths": [str(write_csv(folder / "deaths.csv", DEATHS_HEADER, DEATHS))],
        "population": [str(write_csv(folder / "population.csv", POPULATION_HEADER, POPULATION))],
        "cremation": [], "poverty": [], "assistance": [],
    }
    settings = load_settings()
    plan = pipeline.plan_run(settings, month, overrides=files, out_dir=tmp / "out" / month, db_path=tmp / "w.duckdb")
    with pipeline.exclusive_run(plan) as (work_db, out):
        pipeline.run_month_steps(work_db, out, plan, settings)
    return plan.out_dir


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = warehouse.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    ws = load_workbook(path)[sheet]
    header = [c.value for c in ws[3]]
    rows = []
    for values in ws.iter_rows(min_row=4, values_only=True):
        if values[header.index("核查编号")]:
            rows.append(dict(zip(header, values)))
    return rows


def _rows(ws) -> list[dict]:
    """Numbered rows of a follow-up workbook's sheet (header on row 3; not 合计 or notes)."""
    header = [c.value for c in ws[3]]
    return [dict(zip(header, values)) for values in ws.iter_rows(min_row=4, values_only=True)
            if isinstance(values[0], int)]


def expected_actions(db: Path, month: str) -> set[tuple]:
    """Independently of the action SQL: one action per household with a confirmed (属实) case
    whose rule changes a payment, as (kind, household, the members who stop) — a death,
    duplicate or move-out stops the person; the household stops (停发) when nobody remains,
    else it is adjusted (调整)."""
    rows = query(db, """
        select c.rule, e.household_id, e.name
        from (select case_id, arg_max(result, decided_at) as result from decisions group by case_id) d
        join cases c using (case_id)
        join (select case_id, arg_max(household_id, month) as household_id, arg_max(name, month) as name
              from exceptions group by case_id) e using (case_id)
        where d.result = '属实'""")
    members = dict(query(db, "select household_id, count(*) from roster_months where month = ? group by 1", [month]))
    stops: dict[str, set[str]] = {}
    for rule, household, name in rows:
        if rule in ("DECEASED_PAID", "DECEASED_SUSPECT", "DUPLICATE_BENEFIT", "MOVED_OUT"):
            stops.setdefault(household, set()).add(name)
        elif rule == "HOUSEHOLD_SIZE_CHANGED":
            stops.setdefault(household, set())
    return {("停发" if len(names) == members[household] else "调整", household, "、".join(sorted(names)))
            for household, names in stops.items()}


def listed_actions(path: Path) -> set[tuple]:
    return {(r["处理类型"], r["户编号"], r["停发人员"]) for r in _rows(load_workbook(path).active)}


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("follow-up")
    db = tmp / "w.duckdb"
    settings = load_settings()
    may = run_month(tmp, "2020-05")
    case = {(rule, name): case_id for rule, name, case_id in query(
        db, "select rule, name, case_id from exceptions where month = '2020-05'")}
    sheet = may / "villages" / "回龙镇_天竺村_异常核实表_2020-05.xlsx"
    back = tmp / "back" / "天竺村 已核实.xlsx"
    back.parent.mkdir()
    shutil.copy(sheet, back)
    fill(back, {case["DECEASED_PAID", "张三"]: ("属实", "3月去世"),
                case["DECEASED_PAID", "李四"]: ("属实", "4月去世"),
                case["HOUSEHOLD_SIZE_CHANGED", "李四"]: ("属实", "户主去世，剩1人"),
                case["DECEASED_PAID", "王五"]: ("不属实", "本人健在，同名")})
    outcomes = record_returns(db, "2020-05", [back])
    assert [o.error for o in outcomes] == [None]
    # 王五's death is in the police file under his exact ID: the village's 不属实 alone leaves the
    # case disputed (issue 24); the township checks him in person and decides before June.
    assert outcomes[0].disputed == [case["DECEASED_PAID", "王五"]]
    decide(db, case["DECEASED_PAID", "王五"], "不属实", reason="本人健在，同名",
           evidence="本人到场核验 2020-05-28", officer="王科员")
    refresh_after_returns(db, "2020-05", may, settings)
    may_actions = {row[0]: row for row in query(db, "select kind || '|' || name, * from actions")}
    expected_may = expected_actions(db, "2020-05")
    june = run_month(tmp, "2020-06")
    july = run_month(tmp, "2020-07")
    return tmp, db, case, may, june, july, may_actions, expected_may


def test_may_actions_one_row_per_household_from_the_members_own_amounts(months):
    tmp, db, case, may, june, july, may_actions, expected_may = months
    path = may / "actions" / "回龙镇_停发调整清单_2020-05.xlsx"
    # 李四's death and H2's size change are one row: the death's 停发 inside the household's 调整
    assert listed_actions(path) == expected_may == {("停发", "H1", "张三"), ("调整", "H2", "李四")}
    rows = {(r["处理类型"], r["停发人员"]): r for r in _rows(load_workbook(path).active)}
    adjust = rows["调整", "李四"]
    assert (adjust["现保障人数"], adjust["新保障人数"]) == (2, 1)
    # 350 + 350 paid; 李四 stops: 李小 keeps her own 350 (not 1 × 低保标准 = 620, a raise)
    assert (adjust["现月发放金额（元）"], adjust["新月发放金额（元）"]) == (700, 350)
    assert adjust["核查编号"] == "、".join(sorted([case["DECEASED_PAID", "李四"], case["HOUSEHOLD_SIZE_CHANGED", "李四"]]))
    stop = rows["停发", "张三"]
    assert (stop["停发人员身份证号"], stop["现月发放金额（元）"], stop["新月发放金额（元）"]) == (A, 400, 0)
    assert stop["起始月份"] == "2020年6月" and stop["落实情况"] == "待落实"
    assert stop["核查编号"] == case["DECEASED_PAID", "张三"]
    # office only: owner-only permissions, said on the first line of both files
    csv_path = path.with_suffix(".csv")
    for file in (path, csv_path):
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert load_workbook(path).active["A1"].value.startswith("仅限镇民政办")
    assert csv_path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("仅限镇民政办")
    assert "王五" not in csv_path.read_text(encoding="utf-8-sig")


def test_may_notices_one_per_household_action_a4_addressed_to_the_living(months):
    tmp, db, case, may, *_ = months
    files = sorted((may / "notices").glob("*.docx"))
    assert [f.name for f in files] == ["回龙镇_天竺村_告知书_2020-05.docx"]
    document = Document(str(files[0]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)    # A4, not Letter
    body = [p for p in document.paragraphs if p.text.strip()]
    east_asian = {run.element.rPr.rFonts.get(qn("w:eastAsia")) for p in body for run in p.runs}
    assert east_asian <= {"仿宋_GB2312", "宋体"} and "仿宋_GB2312" in east_asian
    text = "\n".join(p.text for p in document.paragraphs)
    pages = text.split("城乡低保（特困供养）待遇变更告知书")[1:]
    assert len(pages) == 2 == query(db, "select count(*) from actions where notice_month = '2020-05'")[0][0]
    h1, h2 = pages
    # 张三 lived alone: the notice goes to his family, not to him; April and May overpaid
    assert h1.split("\n")[1].startswith("家属/代领人（回龙镇天竺村，户编号H1）")
    assert "李四" not in h1 and "李小" not in h1 and "多领取救助金800.00元" in h1
    # H2: addressed to 李小, who remains, not to 李四 (who died)
    assert h2.split("\n")[1].startswith("李小（户）") and "张三" not in h2 and "王五" not in text
    assert "保障人数由2人调整为1人" in h2 and "由700.00元调整为350.00元" in h2 and "自2020年6月起" in h2
    assert "多领取救助金350.00元" in h2
    assert "经2020年5月村（社区）" in h1 and "复核申请" in h1 and "023-00000000" in h1 and "30日内" in h1
    assert "补发" not in text


def test_a_notice_is_issued_once(months):
    tmp, db, case, may, june, july, *_ = months
    # June and July bring no new decision: no new notice, and May's is not told again
    assert list((june / "notices").glob("*.docx")) == [] == list((july / "notices").glob("*.docx"))
    rows = {r["停发人员"]: r for r in _rows(load_workbook(june / "actions" / "回龙镇_停发调整清单_2020-06.xlsx").active)}
    assert rows["张三"]["告知书"].endswith("已出具")


def test_june_escalates_the_confirmed_death_still_paid(months):
    tmp, db, case, may, june, *_ = months
    zhang = case["DECEASED_PAID", "张三"]
    rows = {r["核查编号"]: r for r in sheet_rows(june / "villages" / "回龙镇_天竺村_异常核实表_2020-06.xlsx", "死亡疑点")}
    assert rows[zhang]["上次核实"] == "属实（2020-05）"
    # short, and only what the village needs: no file name, import time or payment instruction
    assert rows[zhang]["督办"] == "已核实仍在发放：2020年5月核实为属实，其后又发放1个月，已报镇民政办督办"
    assert case["DECEASED_PAID", "王五"] not in rows          # refuted by the township: not sent again
    supervision = _rows(load_workbook(june / "summary" / "回龙镇_督办清单_2020-06.xlsx").active)
    assert [(r["核查编号"], r["督办类型"], r["核实后发放月数/未核实月数"]) for r in supervision] == [
        (zhang, "已核实仍在发放", 1)]
    assert query(db, "select severity from exceptions where month = '2020-06' and case_id = ?", [zhang]) == [("high",)]
    assert query(db, "select count(*) from escalations where month = '2020-06'") == [(1,)]


def test_june_marks_the_carried_out_actions_done(months):
    tmp, db, case, may, june, july, may_actions, _ = months
    rows = {(r["处理类型"], r["停发人员"]): r for r in _rows(load_workbook(june / "actions" / "回龙镇_停发调整清单_2020-06.xlsx").active)}
    assert rows["调整", "李四"]["落实情况"] == "已落实（2020年6月起）"
    assert rows["调整", "李四"]["落实月份"] == "2020年6月"
    assert rows["停发", "张三"]["落实情况"] == "待落实"
    assert "王五" not in {name for _, name in rows}


def test_july_closes_the_loop_and_escalates_the_unanswered(months):
    tmp, db, case, may, june, july, *_ = months
    assert query(db, "select count(*) from actions where done_month is null") == [(0,)]
    assert query(db, "select done_month from actions where name = '张三'") == [("2020-07",)]
    # 赵六, and 王五's household change (his death was denied, the household answer never came)
    assert query(db, "select c.rule, e.name, x.months_since from escalations x join cases c using (case_id) "
                     "join exceptions e on e.case_id = x.case_id and e.month = x.month "
                     "where x.month = '2020-07' and x.kind = '逾期未核实' order by 1") == [
        ("HOUSEHOLD_SIZE_CHANGED", "王五", 2), ("NOT_IN_REGISTRY", "赵六", 2)]
    rows = _rows(load_workbook(july / "actions" / "回龙镇_停发调整清单_2020-07.xlsx").active)
    assert [(r["停发人员"], r["落实情况"]) for r in rows] == [("张三", "已落实（2020年7月起）")]
    longjing = sheet_rows(july / "villages" / "回龙镇_龙井村_异常核实表_2020-07.xlsx", "身份信息")
    assert longjing[0]["督办"].startswith("逾期未核实：已下发2个月")


def test_recovery_balance_follows_recorded_recoveries_exactly(months):
    from flows.cases.recovery import RecoveryError, record_recovery

    tmp, db, case, may, june, july, *_ = months
    zhang = case["DECEASED_PAID", "张三"]
    # overpaid up to the May confirmation: April and May (2 × 400); paid after it: June (1 × 400)
    assert query(db, "select months_before, amount_before from recovery_entries where case_id = ?", [zhang]) == [
        (2, 800)]
    june_sheet = june / "villages" / "回龙镇_天竺村_异常核实表_2020-06.xlsx"
    row = {r["核查编号"]: r for r in sheet_rows(june_sheet, "死亡疑点")}[zhang]
    assert row["应追缴余额（元）"] == 1200
    back = tmp / "back" / "天竺村6月.xlsx"
    shutil.copy(june_sheet, back)
    book = load_workbook(back)
    ws = book["死亡疑点"]
    header = [c.value for c in ws[3]]
    line = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, header.index("核查编号") + 1).value == zhang)
    ws.cell(line, header.index("已追回金额") + 1).value = 500
    ws.cell(line, header.index("追回日期") + 1).value = "2020/6/20"
    ws.cell(line, header.index("核实结果") + 1).value = "属实"
    book.save(back)
    first, second = record_returns(db, "2020-06", [back]), record_returns(db, "2020-06", [back])
    assert (first[0].recovered, second[0].recovered) == (1, 0)      # the same file twice counts once

    def balance() -> float:
        from flows import warehouse
        from flows.cases.recovery import balances

        con = warehouse.connect(db)
        try:
            owed = balances(con, "2020-07")
        finally:
            con.close()
        return float(owed.set_index("case_id").loc[zhang, "balance"])

    assert balance() == 700
    with pytest.raises(RecoveryError, match="核销必须说明原因"):
        record_recovery(db, zhang, 100, write_off=True)
    with pytest.raises(RecoveryError, match="超过未追回余额"):
        record_recovery(db, zhang, 701)
    assert record_recovery(db, zhang, 300, write_off=True, reason="家属无力偿还，经镇政府研究同意") == 400
    assert balance() == 400
    refresh_after_returns(db, "2020-07", july, load_settings())
    ledger = _rows(load_workbook(july / "summary" / "回龙镇_追缴台账_2020-07.xlsx").active)
    by_case = {r["核查编号"]: r for r in ledger if r["核查编号"]}
    entry = by_case[zhang]
    assert (entry["核实前多发金额（元）"], entry["核实后仍发放月数"], entry["核实后多发金额（元）"]) == (800, 1, 400)
    assert (entry["已追回（元）"], entry["已核销（元）"], entry["未追回余额（元）"]) == (500, 300, 400)
    assert "追回500.00元（2020-06-20）" in entry["追缴记录"] and "核销300.00元" in entry["追缴记录"]
    assert by_case[case["DECEASED_PAID", "李四"]]["未追回余额（元）"] == 350


def test_time_to_act_per_village_and_township(months):
    tmp, db, case, may, june, july, *_ = months
    book = load_workbook(july / "summary" / "回龙镇_督办清单_2020-07.xlsx")
    rows = {r["村（社区）"]: r for r in _rows(book["处理时效"])}
    # 张三 died in March, found May (2), confirmed on the May sheet (0), stopped July (2);
    # 李四 died in April, found May (1), confirmed May (0), stopped June (1); 王五 was denied.
    for place in ("天竺村", "全镇合计"):
        row = rows[place]
        assert (row["发现的死亡（人）"], row["死亡→首次发现（月）"], row["发现→核实属实（月）"], row["核实→停发（月）"]) == \
            (2, 1.5, 0, 1.5)
        assert (row["待核实（人）"], row["已核实待停发（人）"]) == (0, 0)


def test_annex4_remark_states_the_recovery_totals(months):
    tmp, db, case, may, june, *_ = months
    ws = load_workbook(next((june / "summary").glob("回龙镇_城乡低保摸排处理汇总表_*.xlsx")))["附件4"]
    remarks = [row[-1] for row in ws.iter_rows(min_row=5, values_only=True) if row[0] == "回龙镇"]
    # June: 张三 800 before + 400 after, 李四 350; nothing recovered yet
    assert remarks and remarks[0].startswith("追缴2户：应追缴1,550.00元（其中核实后仍发放400.00元），已追回0.00元")


def test_a_refuted_death_is_out_of_the_next_months_counts_and_amounts(months):
    tmp, db, case, may, june, *_ = months
    wang = case["DECEASED_PAID", "王五"]
    assert query(db, "select amount_overpaid > 0 from exceptions where month = '2020-06' and case_id = ?", [wang]) == [
        (True,)]                                            # still found in June, answered 不属实 in May
    book = load_workbook(next((june / "summary").glob("回龙镇_城乡低保摸排处理汇总表_*.xlsx")))
    ws = book["分村统计"]
    headers = [(c.value or "").replace("\n", "") for c in ws[3]]
    rows = {r[1]: dict(zip(headers, r)) for r in ws.iter_rows(min_row=4, values_only=True)}
    # June: only 张三 (April–June, 3 × 400) stands; 王五's death is not counted nor its amount
    assert rows["天竺村"]["死亡仍在保"] == 1 and rows["天竺村"]["多发金额（已确认）（元）"] == 1200
    annex = book["附件4"]
    assert "统计月份：2020年6月" in annex["A2"].value and "填报单位：回龙镇民政和社会事务办" in annex["A2"].value
    remark = next(row[-1] for row in annex.iter_rows(min_row=5, values_only=True) if row[0] == "回龙镇")
    assert "核查发现多发资金1,200.00元（已确认死亡）" in remark


def test_review_shows_recovery_totals_and_time_to_act(months):
    import matplotlib

    from flows import review

    matplotlib.use("Agg")
    tmp, db, *_ = months
    totals = review.recovery_totals(db, "2020-06").iloc[0]
    assert (totals["entries"], float(totals["amount_before"]), float(totals["amount_after"])) == (2, 1150, 400)
    took = review.time_to_act(db, "2020-07")
    assert took[took["village"].isna()]["deaths"].tolist() == [2]
    assert review.plot_time_to_act(db, "2020-07").get_title()


def test_a_killed_dibao_actions_leaves_the_previous_papers_as_they_were(tmp_path):
    """May's run is out; the returns are in; `dibao actions` is killed once the new lists and
    notices are written: every file of the out folder, and the warehouse's actions, are as
    before.  Run again, it completes."""
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "w.duckdb"
    may = run_month(tmp_path, "2020-05")
    zhang = query(db, "select case_id from exceptions where name = '张三' and rule = 'DECEASED_PAID'")[0][0]
    back = tmp_path / "back.xlsx"
    shutil.copy(may / "villages" / "回龙镇_天竺村_异常核实表_2020-05.xlsx", back)
    fill(back, {zhang: ("属实", "3月去世")})
    assert [o.error for o in record_returns(db, "2020-05", [back])] == [None]

    def papers() -> dict[str, bytes]:
        return {str(p.relative_to(may)): p.read_bytes() for p in sorted(may.rglob("*")) if p.is_file()}

    before = papers()
    marker = tmp_path / "paused"
    runner = FAULT_RUNNER
    proc = subprocess.Popen([sys.executable, str(runner), "notices", str(marker), "actions", "--month", "2020-05",
                             "--db", str(db), "--out", str(may)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 180
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "dibao actions never reached its notices"
        time.sleep(0.1)
    assert list(may.parent.glob(".2020-05.actions-*/notices/*.docx"))     # the new notices exist, aside
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert papers() == before
    assert query(db, "select count(*) from actions") == [(0,)]
    done = subprocess.run([sys.executable, "-m", "flows.cli", "actions", "--month", "2020-05", "--db", str(db),
                           "--out", str(may)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert query(db, "select name from actions") == [("张三",)]
    assert not list(may.parent.glob(".2020-05.actions-*"))
    assert str(may / "notices" / "回龙镇_天竺村_告知书_2020-05.docx") in done.stdout     # the console says where
