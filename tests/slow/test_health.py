"""Source health: warnings the analyst must see, that never stop a run."""
from __future__ import annotations

from flows import pipeline
from flows.config import load_settings
from helpers import death, make_id, member, person, run_rules

A = make_id("19500101", "121")
B = make_id("19600202", "232")


def warnings_for(tmp, *rows, month="2020-05"):
    """Load, normalise and match `rows` (run_rules), checking the sources between normalise
    and match, on the run's one connection, as a run does: the check reads the run's
    temporary norm_<kind> tables, which match drops when it is done."""
    warnings: list[str] = []
    run_rules(tmp, *rows, month=month, before_match=lambda plan: warnings.extend(
        pipeline.check_sources(plan.db_path, plan, load_settings())["warnings"]))
    return warnings


def test_a_police_file_that_stops_early_is_a_warning(tmp_path):
    warnings = warnings_for(tmp_path, [member("张三", A)], [death("赵四", B, "2020-02-15")], [person("张三", A)])
    assert any("未覆盖2020年04月" in w for w in warnings)


def test_a_current_police_file_raises_no_coverage_warning(tmp_path):
    warnings = warnings_for(tmp_path, [member("张三", A)], [death("赵四", B, "2020-04-28")], [person("张三", A)])
    assert not any("未覆盖" in w for w in warnings)


def test_an_empty_police_file_and_a_thin_population_are_warnings(tmp_path):
    roster = [member("张三", A, household="H1"), member("李梅", B, household="H2")]
    warnings = warnings_for(tmp_path, roster, [], [person("张三", A)])
    assert any("没有任何记录" in w for w in warnings)
    assert any("仅50.0%" in w for w in warnings)


def test_a_township_missing_from_this_months_feed_is_a_warning(tmp_path):
    deaths = [dict(death(f"甲{i}", make_id("19400101", f"{i:03d}"), "2020-03-20"), 户籍地址="重庆市梁平区回龙镇")
              for i in range(1, 30, 2)]
    warnings_for(tmp_path, [member("张三", A)], deaths, [person("张三", A)], month="2020-04")
    moved = [dict(d, 户籍地址="重庆市梁平区礼让镇") for d in deaths]
    warnings = warnings_for(tmp_path, [member("张三", A)], moved, [person("张三", A)], month="2020-05")
    assert any("公安数据本月没有回龙镇的记录（2020-04有）" in w for w in warnings)


def test_warnings_are_printed_on_the_township_summary(tmp_path):
    import datetime as dt

    import pandas as pd
    from openpyxl import load_workbook

    from flows.reports.summary import write_township_summary

    stats = pd.DataFrame([{"township": "回龙镇", "households": 1, "persons": 2, "poverty_households": None,
                           "adjust_amount": 0, "include_households": 0, "complete_info": 0,
                           "overpaid_total": 0, "remark": None}])
    counts = pd.DataFrame(columns=["township", "village", "rule", "n", "amount_overpaid"])
    warning = "公安数据最新记录日期为2020-02-15，未覆盖2020年04月"
    path, = write_township_summary(stats, counts, tmp_path, "2020-05", filled_on=dt.date(2020, 5, 28),
                                   warnings=[warning])
    texts = [c.value for row in load_workbook(path)["数据源检查"].iter_rows() for c in row]
    assert warning in texts


def test_a_village_whose_death_findings_jump_raises_an_alarm(tmp_path):
    from flows import health, warehouse

    people = [(f"张{c}", make_id(f"1940010{i}", "111")) for i, c in enumerate("甲乙丙丁", start=1)]
    roster = [member(name, pid, household=f"H{i}") for i, (name, pid) in enumerate(people)]
    population = [person(name, pid) for name, pid in people]
    warnings_for(tmp_path, roster, [], population, month="2020-04")
    deaths = [death(name, pid, "2020-05-10") for name, pid in people[:3]]
    warnings_for(tmp_path, roster, deaths, population, month="2020-05")
    con = warehouse.connect(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        alarms = health.check_death_rates(con, "2020-05")
    finally:
        con.close()
    assert alarms == ["回龙镇天竺村本月死亡疑点3人（75.0%），远高于该村以往平均（0.0%），请检查数据是否有误"]
