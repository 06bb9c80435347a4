"""Each rule's SQL alone, on a few literal rows in an in-memory DuckDB: one case it must
flag and a near miss it must not (the fast layer; tests/unit/rules/test_rules.py runs the same
worlds through files and every step)."""
from __future__ import annotations

import pytest

from helpers import death, make_id, member, person, poor
from rule_world import rule_hits

A = make_id("19500101", "121")   # 男
B = make_id("19600202", "232")   # 女
C = make_id("19700303", "343")   # 男
POPULATION = [person("张三", A), person("李梅", B), person("王伟", C)]


def names(hits) -> list[str]:
    return sorted(hits["name"])


def test_deceased_paid_positive_and_death_after_the_month():
    hits = rule_hits("DECEASED_PAID", roster=[member("张三", A, household="H1"), member("李梅", B, household="H2")],
                     deaths=[death("张三", A, "2020-01-15"), death("李梅", B, "2020-06-01")], population=POPULATION)
    assert names(hits) == ["张三"] and int(hits["months_overpaid"].iloc[0]) == 4


def test_deceased_suspect_transposed_id_and_a_namesake_with_another_valid_id():
    typo = C[:10] + C[11] + C[10] + C[12:]
    roster = [member("王伟", C, household="H3"), member("张三", A, household="H1")]
    deaths = [death("王玮", typo, "2020-03-02"), death("张三", make_id("19500101", "555"), "2020-03-02")]
    assert names(rule_hits("DECEASED_SUSPECT", roster=roster, deaths=deaths, population=POPULATION)) == ["王伟"]


def test_id_name_mismatch_positive_and_same_name():
    roster = [member("张三", A, household="H1"), member("李梅", B, household="H2")]
    hits = rule_hits("ID_NAME_MISMATCH", roster=roster, population=[person("张叁", A), person("李梅", B)])
    assert names(hits) == ["张三"] and hits["score"].iloc[0] == pytest.approx(0.5)


def test_invalid_id_bad_check_digit_and_a_valid_id():
    bad = A[:17] + ("0" if A[17] != "0" else "1")
    roster = [member("张三", bad, household="H1"), member("王伟", C, household="H3")]
    assert names(rule_hits("INVALID_ID", roster=roster, population=POPULATION)) == ["张三"]


def test_id_attr_mismatch_wrong_sex_and_a_consistent_member():
    roster = [member("张三", A, household="H1", sex="女"), member("王伟", C, household="H3")]
    assert names(rule_hits("ID_ATTR_MISMATCH", roster=roster, population=POPULATION)) == ["张三"]


def test_id_attr_mismatch_compares_a_month_only_birth_date_by_month():
    roster = [member("张三", A, household="H1", birth="1950年1月"), member("李梅", B, household="H2", birth="1960年3月")]
    hits = rule_hits("ID_ATTR_MISMATCH", roster=roster, population=POPULATION)
    assert names(hits) == ["李梅"]
    assert "名册出生日期为1960-03，身份证号显示为1960-02" in hits["detail"].iloc[0]


def test_duplicate_benefit_two_households_and_a_single_listing():
    roster = [member("张三", A, household="H1"), member("张三", A, household="H9", village="龙井村"),
              member("王伟", C, household="H3")]
    hits = rule_hits("DUPLICATE_BENEFIT", roster=roster, population=POPULATION)
    assert sorted(hits["household_id"]) == ["H1", "H9"]


def test_not_in_registry_absent_and_present():
    roster = [member("张三", A, household="H1"), member("王伟", C, household="H3")]
    assert names(rule_hits("NOT_IN_REGISTRY", roster=roster, population=[person("王伟", C)])) == ["张三"]


def test_moved_out_on_month_end_and_the_day_after():
    roster = [member("张三", A, household="H1"), member("王伟", C, household="H3")]
    population = [person("张三", A, status="迁出", change_date="2020-05-31"),
                  person("王伟", C, status="迁出", change_date="2020-06-01")]
    assert names(rule_hits("MOVED_OUT", roster=roster, population=population)) == ["张三"]


def test_household_size_changed_declared_three_and_a_household_that_matches():
    roster = [member("张三", A, household="H1", size=3), member("李梅", B, household="H1", relation="配偶", size=3),
              member("王伟", C, household="H3", size=1)]
    assert names(rule_hits("HOUSEHOLD_SIZE_CHANGED", roster=roster, population=POPULATION)) == ["张三"]


def test_household_size_changed_when_a_member_died():
    roster = [member("张三", A, household="H1", size=2), member("李梅", B, household="H1", relation="配偶", size=2)]
    hits = rule_hits("HOUSEHOLD_SIZE_CHANGED", roster=roster, deaths=[death("李梅", B, "2020-02-01")],
                     population=POPULATION)
    assert names(hits) == ["张三"] and "1人已死亡" in hits["detail"].iloc[0]


def test_gradual_exit_overdue_seven_months_and_exactly_six():
    roster = [member("张三", A, household="H1", exit_month="2019-10"),
              member("王伟", C, household="H3", exit_month="2019-11")]
    assert names(rule_hits("GRADUAL_EXIT_OVERDUE", roster=roster, population=POPULATION)) == ["张三"]


def test_uncovered_vulnerable_ill_without_assistance_and_covered_by_dibao():
    D = make_id("19800101", "111")
    hits = rule_hits("UNCOVERED_VULNERABLE", roster=[member("张三", A)], population=POPULATION,
                     poverty=[poor("张三", A, health="重病"), poor("钱一", D, health="重病")])
    assert names(hits) == ["钱一"]
