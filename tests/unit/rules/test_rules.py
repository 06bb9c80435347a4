"""Each rule on a small readable world: one case it must flag and a near miss it must not."""
from __future__ import annotations

import pytest

from helpers import death, make_id, member, person, poor, run_rules

A = make_id("19500101", "121")   # 男
B = make_id("19600202", "232")   # 女
C = make_id("19700303", "343")   # 男


def flagged(exceptions, rule):
    return sorted(exceptions.loc[exceptions["rule"] == rule, "name"])


def test_deceased_paid_counts_months_after_the_death_month(tmp_path):
    roster = [member("张三", A, household="H1", amount=410), member("李梅", B, household="H2")]
    deaths = [death("张三", A.lower(), "2020/1/15"), death("李梅", B, "2020-06-02")]  # after M: not yet
    ex = run_rules(tmp_path, roster, deaths, [person("张三", A), person("李梅", B)])
    hit = ex[ex["rule"] == "DECEASED_PAID"]
    assert list(hit["name"]) == ["张三"]
    assert int(hit["months_overpaid"].iloc[0]) == 4          # Feb, Mar, Apr, May 2020
    assert float(hit["amount_overpaid"].iloc[0]) == 4 * 410
    assert "停发" in hit["detail"].iloc[0]                     # the only member died


def test_deceased_paid_in_the_run_month_is_zero_months_and_combines_sources(tmp_path):
    roster = [member("张三", A, household="H1", size=2), member("李梅", B, household="H1", relation="配偶")]
    deaths = [death("张三", A, "2020-05-20")]
    population = [person("张三", A, status="死亡", change_date="2020-05-18"), person("李梅", B)]
    ex = run_rules(tmp_path, roster, deaths, population)
    hit = ex[ex["rule"] == "DECEASED_PAID"].iloc[0]
    assert hit["months_overpaid"] == 0
    assert str(hit["death_date"])[:10] == "2020-05-18"        # earliest of the two sources
    assert "已证实" in hit["detail"] and "减发" in hit["detail"]
    assert set(hit["matched_source"].split("、")) == {"公安", "计生"}


def test_deceased_paid_matches_a_15_digit_legacy_id(tmp_path):
    legacy = A[:6] + A[8:17]
    ex = run_rules(tmp_path, [member("张三", A)], [death("张三", legacy, "2019-12-01")], [person("张三", A)])
    assert flagged(ex, "DECEASED_PAID") == ["张三"]
    assert int(ex.loc[ex["rule"] == "DECEASED_PAID", "months_overpaid"].iloc[0]) == 5


def test_deceased_suspect_finds_a_transposed_id_with_a_homophone_name(tmp_path):
    typo = C[:10] + C[11] + C[10] + C[12:]
    ex = run_rules(tmp_path, [member("王伟", C)], [death("王玮", typo, "2020-03-02")], [person("王伟", C)])
    assert flagged(ex, "DECEASED_SUSPECT") == ["王伟"]
    assert flagged(ex, "DECEASED_PAID") == []
    assert "同音" in ex.loc[ex["rule"] == "DECEASED_SUSPECT", "detail"].iloc[0]


def test_deceased_suspect_finds_same_name_and_birth_date_without_an_id(tmp_path):
    ex = run_rules(tmp_path, [member("王伟", C)], [death("王伟", "", "2020-03-02", birth="1970-03-03")],
                   [person("王伟", C)])
    assert flagged(ex, "DECEASED_SUSPECT") == ["王伟"]


def test_namesake_with_another_valid_id_is_not_reported_dead(tmp_path):
    other = make_id("19700303", "555")         # same name, same birth date, another person
    ex = run_rules(tmp_path, [member("王伟", C)], [death("王伟", other, "2020-03-02")], [person("王伟", C)])
    assert flagged(ex, "DECEASED_PAID") == [] and flagged(ex, "DECEASED_SUSPECT") == []


def test_namesake_with_another_birth_date_is_not_a_candidate(tmp_path):
    other = make_id("19710404", "555")
    ex = run_rules(tmp_path, [member("王伟", C)], [death("王伟", other, "2020-03-02")], [person("王伟", C)])
    assert flagged(ex, "DECEASED_SUSPECT") == []


def test_invalid_id_flags_bad_check_digit_and_excel_damage_not_a_valid_id(tmp_path):
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    roster = [member("张三", bad_check, household="H1"), member("李梅", "5.00228E+17", household="H2"),
              member("王伟", C, household="H3")]
    ex = run_rules(tmp_path, roster, [], [person("张三", A), person("李梅", B), person("王伟", C)])
    assert flagged(ex, "INVALID_ID") == sorted(["张三", "李梅"])
    details = " ".join(ex.loc[ex["rule"] == "INVALID_ID", "detail"])
    assert "校验位" in details and "Excel" in details


def test_id_name_mismatch_scores_similarity_and_ignores_the_same_name(tmp_path):
    roster = [member("张三", A, household="H1"), member("李梅", B, household="H2")]
    ex = run_rules(tmp_path, roster, [], [person("张叁", A), person("李梅", B)])
    hit = ex[ex["rule"] == "ID_NAME_MISMATCH"]
    assert list(hit["name"]) == ["张三"] and list(hit["matched_name"]) == ["张叁"]
    assert hit["score"].iloc[0] == pytest.approx(0.5)


def test_id_attr_mismatch_flags_wrong_sex_or_birth_date_only(tmp_path):
    roster = [member("张三", A, household="H1", sex="女"), member("李梅", B, household="H2", birth="1960-02-03"),
              member("王伟", C, household="H3")]
    ex = run_rules(tmp_path, roster, [], [person("张三", A), person("李梅", B), person("王伟", C)])
    assert flagged(ex, "ID_ATTR_MISMATCH") == sorted(["张三", "李梅"])


def test_duplicate_benefit_flags_both_listings(tmp_path):
    roster = [member("张三", A, household="H1"), member("张三", A, household="H9", village="龙井村", benefit="特困供养"),
              member("王伟", C, household="H3")]
    ex = run_rules(tmp_path, roster, [], [person("张三", A), person("王伟", C)])
    hits = ex[ex["rule"] == "DUPLICATE_BENEFIT"]
    assert sorted(hits["household_id"]) == ["H1", "H9"]
    assert "同时享受低保和特困供养" in hits["detail"].iloc[0]


def test_not_in_registry_needs_a_valid_absent_id(tmp_path):
    roster = [member("张三", A, household="H1"), member("王伟", C, household="H3")]
    ex = run_rules(tmp_path, roster, [], [person("王伟", C)])
    assert flagged(ex, "NOT_IN_REGISTRY") == ["张三"]


def test_moved_out_on_or_before_month_end_only(tmp_path):
    roster = [member("张三", A, household="H1"), member("王伟", C, household="H3")]
    population = [person("张三", A, status="迁出", change_date="2020-05-31"),
                  person("王伟", C, status="迁出", change_date="2020-06-01")]
    ex = run_rules(tmp_path, roster, [], population)
    assert flagged(ex, "MOVED_OUT") == ["张三"]


def test_household_size_changed_on_the_head_row(tmp_path):
    roster = [member("张三", A, household="H1", size=3), member("李梅", B, household="H1", relation="配偶", size=3),
              member("王伟", C, household="H3", size=1)]
    ex = run_rules(tmp_path, roster, [], [person("张三", A), person("李梅", B), person("王伟", C)])
    assert flagged(ex, "HOUSEHOLD_SIZE_CHANGED") == ["张三"]


def test_gradual_exit_overdue_after_more_than_six_months(tmp_path):
    roster = [member("张三", A, household="H1", exit_month="2019-10"),    # 7 months before 2020-05
              member("王伟", C, household="H3", exit_month="2019年11月")]   # exactly 6: still in 渐退期
    ex = run_rules(tmp_path, roster, [], [person("张三", A), person("王伟", C)])
    assert flagged(ex, "GRADUAL_EXIT_OVERDUE") == ["张三"]


def test_a_clean_household_raises_nothing(tmp_path):
    roster = [member("张三", A, household="H1", size=2), member("李梅", B, household="H1", relation="配偶", size=2)]
    ex = run_rules(tmp_path, roster, [death("赵四", make_id("19400101", "111"), "2020-01-01")],
                   [person("张三", A), person("李梅", B)])
    assert ex.empty


def test_uncovered_vulnerable_needs_no_assistance_and_illness_or_low_income(tmp_path):
    D, E, F, G = (make_id(f"1980010{i}", "111") for i in range(1, 5))
    poverty = [poor("张三", A, health="重病"),                 # covered by 低保: not flagged
               poor("钱一", D, health="重病"),                 # flagged: seriously ill
               poor("钱二", E, income=500, kind="边缘户"),       # flagged: below 低保标准 620
               poor("钱三", F, income=620),                     # exactly the standard: not below
               poor("钱四", G, health="重度残疾")]              # received 临时救助: not flagged
    assistance = [{"乡镇": "回龙镇", "村（社区）": "天竺村", "姓名": "钱四", "身份证号码": G,
                   "救助类型": "临时救助", "发放日期": "2020-04-01"}]
    ex = run_rules(tmp_path, [member("张三", A)], [], [person("张三", A)], poverty=poverty, assistance=assistance)
    hits = ex[ex["rule"] == "UNCOVERED_VULNERABLE"]
    assert sorted(hits["name"]) == ["钱一", "钱二"]
    assert hits["household_id"].isna().all()
    assert "低于低保标准620元" in " ".join(hits["detail"])


def test_deceased_suspect_finds_a_death_whose_id_excel_mangled(tmp_path):
    mangled = f"{int(C[:17]) / 1e16:.5f}E+17"            # as Excel shows an 18-digit number: 5.00228E+17
    ex = run_rules(tmp_path, [member("王伟", C)], [death("王伟", mangled, "2020-03-02", birth="1970-03-03")],
                   [person("王伟", C)])
    assert flagged(ex, "DECEASED_PAID") == []              # a damaged ID is never matched exactly
    assert flagged(ex, "DECEASED_SUSPECT") == ["王伟"]
