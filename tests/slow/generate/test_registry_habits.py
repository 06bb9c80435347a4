"""Names and dates as registries really write them (issue 13), and fuzzy death matching
whose evidence is weighed by how common it is (issue 18): small literal worlds run through
the real load → normalise → match steps."""
from __future__ import annotations

from flows import pipeline, warehouse
from flows.reports.month import write_machine_outputs
from helpers import death, make_id, member, person, run_rules

A = make_id("19500101", "121")   # 男
B = make_id("19600202", "232")   # 女
C = make_id("19700303", "343")   # 男
D = make_id("19450505", "451")   # 男
E = make_id("19520606", "561")   # 男
F = make_id("19520707", "571")   # 男


def one_digit_off(id18: str) -> str:
    digit = "1" if id18[15] != "1" else "2"
    return id18[:15] + digit + id18[16:]


def transposed(id18: str) -> str:
    return id18[:14] + id18[15] + id18[14] + id18[16:]


def suspects(ex):
    return ex[ex["rule"] == "DECEASED_SUSPECT"].set_index("name")


def test_names_written_in_pinyin_with_placeholders_or_traditional_forms_are_found(tmp_path):
    roster = [member("袁文喆", A, household="H1"), member("刘德华", B, household="H2"),
              member("陈思玥", C, household="H3"), member("李明堃", D, household="H4"),
              member("王伟", E, household="H5"), member("王玮", F, household="H6")]
    deaths = [death("袁文zhe", one_digit_off(A), "2020-03-02"),
              death("劉德華", transposed(B), "2020-03-02"),
              death("陈思□", one_digit_off(C), "2020-03-02"),
              # near miss: the name but for a placeholder, another birth date, no ID
              death("李明?", "", "2020-03-02", birth="1947-08-09", sex="男")]
    population = [person(m["姓名"], m["身份证号码"]) for m in roster]
    ex = run_rules(tmp_path, roster, deaths, population)
    found = suspects(ex)
    assert sorted(found.index) == ["刘德华", "袁文喆", "陈思玥"]
    assert "姓名拼音相同（死亡记录以拼音书写“zhe”）" in found.loc["袁文喆", "detail"]
    assert "无法录入的字" in found.loc["陈思玥", "detail"]
    assert "身份证号仅差一位" in found.loc["刘德华", "detail"]
    # two living people whose names sound the same are nobody's finding
    assert not ex["name"].isin(["王伟", "王玮", "李明堃"]).any()


def test_month_only_death_dates_count_from_their_month_and_say_the_day_is_unknown(tmp_path):
    roster = [member("张三", A, household="H1"), member("赵六", D, household="H4")]
    deaths = [death("张三", A, "2019年10月")]
    population = [person("张三", A), person("赵六", D, status="死亡", change_date="201911")]
    ex = run_rules(tmp_path, roster, deaths, population)
    paid = ex[ex["rule"] == "DECEASED_PAID"].set_index("name")
    assert int(paid.loc["张三", "months_overpaid"]) == 7      # Nov 2019 … May 2020
    assert int(paid.loc["赵六", "months_overpaid"]) == 6
    assert (paid["death_date_precision"] == "month").all()
    assert "日不详" in paid.loc["张三", "detail"]

    plan = pipeline.RunPlan("2020-05", "test-2020-05", tmp_path / "warehouse.duckdb", tmp_path / "csv", {})
    (tmp_path / "csv").mkdir()
    con = warehouse.connect(plan.db_path)
    try:
        table = write_machine_outputs(con, plan, tmp_path / "csv").set_index("name")
    finally:
        con.close()
    import pandas as pd
    csv = pd.read_csv(tmp_path / "csv" / "exceptions.csv", dtype=str)
    shown = csv[csv["rule"] == "DECEASED_PAID"].set_index("name")["death_date"]
    assert shown.to_dict() == {"张三": "2019-10", "赵六": "2019-11"}
    assert len(table)


def test_a_year_only_death_date_is_a_reject_naming_the_accepted_forms(tmp_path):
    run_rules(tmp_path, [member("张三", A)], [death("张三", A, "2019")], [person("张三", A)])
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    try:
        reasons = [r for (r,) in con.execute(
            "select reason from rejects where \"column\" = '死亡日期'").fetchall()]
    finally:
        con.close()
    assert reasons and all("2020年5月" in r and "只有年份不能接受" in r for r in reasons)


def test_a_death_reported_twice_by_one_source_is_one_finding_listing_the_source_once(tmp_path):
    roster = [member("张三", A, household="H1"), member("李梅", B, household="H2")]
    deaths = [death("张三", A, "2020-01-15"), death("张三", A, "2020-01-15"),
              death("李梅", B, "2020-01-15"), death("李梅", B, "2020-02-03")]
    ex = run_rules(tmp_path, roster, deaths, [person("张三", A), person("李梅", B)])
    paid = ex[ex["rule"] == "DECEASED_PAID"].set_index("name")
    assert len(paid) == 2
    assert paid.loc["张三", "detail"].count("2020-01-15") == 1
    assert "单一来源" in paid.loc["张三", "detail"]
    assert "2020-01-15、2020-02-03" in paid.loc["李梅", "detail"]
    assert int(paid.loc["李梅", "months_overpaid"]) == 4       # from the earliest date


def test_chance_agreements_are_not_suspicions_but_a_namesake_without_id_is(tmp_path):
    roster = [member("陈秀英", A, household="H1"), member("张桂兰", B, household="H2"),
              member("周建国", C, household="H3")]
    deaths = [
        # a stranger: invalid ID, same birth date, another surname (胡 is no homophone of 陈)
        death("胡秀英", "不详", "2020-03-02", birth="1950-01-01", sex="男"),
        # a stranger: invalid ID, same birth date, one given character away, far away
        {**death("张桂芬", A[:16], "2020-03-02", birth="1960-02-02", sex="女"), "户籍地址": "重庆市万州区"},
        # the member himself, written without ID: same name, same birth date
        death("周建国", "", "2020-02-10", birth="1970-03-03", sex="男"),
    ]
    population = [person("陈秀英", A), person("张桂兰", B), person("周建国", C)]  # all 正常
    ex = run_rules(tmp_path, roster, deaths, population)
    found = suspects(ex)
    assert list(found.index) == ["周建国"]          # 正常 in population is no evidence against
    detail = found.loc["周建国", "detail"]
    assert "出生日期相同（本次数据中同日出生者" in detail and "身份证号无效或缺失（不作证据）" in detail
    assert float(found.loc["周建国", "score"]) >= 0.99
