"""DECEASED_SUSPECT on literal rows (issue 29): both of a member's birth dates are evidence,
and a death record that fits several namesakes shares its probability among them."""
from __future__ import annotations

from helpers import death, make_id, member, person
from rule_world import rule_hits

A = make_id("19500101", "121")   # 男
A2 = make_id("19500101", "151")  # 男, born the same day: another person
VILLAGE_ADDRESS = "重庆市梁平区回龙镇天竺村"


def village_death(name, id_number, death_date, **kwargs) -> dict:
    """A police record whose 户籍地址 is the member's village (not her household's address)."""
    return {**death(name, id_number, death_date, **kwargs), "户籍地址": VILLAGE_ADDRESS}


def suspects(**rows) -> dict[str, list]:
    hits = rule_hits("DECEASED_SUSPECT", **rows)
    return {"name": list(hits["name"]), "household": list(hits["household_id"]),
            "score": [float(s) for s in hits["score"]], "detail": list(hits["detail"])}


# --- item 1: the roster's own 出生日期 -------------------------------------------------

def test_a_death_that_follows_the_roster_birth_date_column_is_a_suspect():
    roster = [member("张三", A, birth="1950-01-03")]       # the ID says 1950-01-01
    deaths = [village_death("张三", "", "2020-03-02", birth="1950-01-03", sex="男")]
    found = suspects(roster=roster, deaths=deaths, population=[person("张三", A)])
    assert found["name"] == ["张三"] and found["score"][0] >= 0.95
    assert "出生日期与名册所填出生日期相同（与身份证号所示不同" in found["detail"][0]
    assert rule_hits("ID_ATTR_MISMATCH", roster=roster, population=[person("张三", A)])["name"].tolist() == ["张三"]


def test_the_same_death_is_no_suspect_when_the_roster_agrees_with_the_id():
    roster = [member("张三", A)]                            # 出生日期 1950-01-01, as the ID
    deaths = [village_death("张三", "", "2020-03-02", birth="1950-01-03", sex="男")]
    assert suspects(roster=roster, deaths=deaths, population=[person("张三", A)])["name"] == []


def test_agreeing_with_the_id_birth_date_says_so_when_the_roster_column_differs():
    roster = [member("张三", A, birth="1950-01-03")]
    deaths = [village_death("张三", "", "2020-03-02", birth="1950-01-01", sex="男")]
    found = suspects(roster=roster, deaths=deaths, population=[person("张三", A)])
    assert found["name"] == ["张三"]
    assert "出生日期与身份证号所示相同（名册所填出生日期与身份证号不符" in found["detail"][0]


def test_agreeing_only_with_the_roster_column_weighs_less_than_with_the_id():
    column = suspects(roster=[member("张三", A, birth="1950-01-03")], population=[person("张三", A)],
                      deaths=[village_death("张三", "", "2020-03-02", birth="1950-01-03", sex="男")])
    id_date = suspects(roster=[member("张三", A, birth="1950-01-03")], population=[person("张三", A)],
                       deaths=[village_death("张三", "", "2020-03-02", birth="1950-01-01", sex="男")])
    assert column["score"][0] < id_date["score"][0]


# --- item 2: one death, several namesakes ------------------------------------------------

NAMESAKES = [member("张三", A, household="H1"), member("张三", A2, household="H2")]
NAMESAKES_POPULATION = [person("张三", A), person("张三", A2)]


def test_namesakes_of_one_village_share_a_death_record_without_an_id():
    deaths = [village_death("张三", "", "2020-03-02", birth="1950-01-01", sex="男")]
    found = suspects(roster=NAMESAKES, deaths=deaths, population=NAMESAKES_POPULATION)
    assert sorted(found["household"]) == ["H1", "H2"]
    assert all(score <= 0.5 for score in found["score"]) and sum(found["score"]) <= 1.0
    assert all("同村同名同生日共2人，请核实是哪一位" in d for d in found["detail"])
    assert rule_hits("DECEASED_PAID", roster=NAMESAKES, deaths=deaths, population=NAMESAKES_POPULATION).empty


def test_one_member_alone_keeps_the_record_whole():
    deaths = [village_death("张三", "", "2020-03-02", birth="1950-01-01", sex="男")]
    found = suspects(roster=NAMESAKES[:1], deaths=deaths, population=NAMESAKES_POPULATION[:1])
    assert found["household"] == ["H1"] and found["score"][0] >= 0.95
    assert "请核实是哪一位" not in found["detail"][0]


def test_a_death_record_matched_by_exact_id_is_not_shared_with_a_namesake():
    # the namesake's ID is invalid: nothing in the pair itself tells them apart
    roster = [member("张三", A, household="H1"), member("张三", A2[:17], household="H2", birth="1950-01-01")]
    deaths = [village_death("张三", A, "2020-03-02")]
    assert rule_hits("DECEASED_PAID", roster=roster, deaths=deaths, population=[person("张三", A)])["household_id"].tolist() == ["H1"]
    assert suspects(roster=roster, deaths=deaths, population=[person("张三", A)])["name"] == []


# --- the city's two missed deaths: an old recipient's 出生日期 as a four-digit Excel serial ----

OLD = make_id("19250101", "121")           # born 1925-01-01: Excel serial 9133
TRUNCATED = OLD[:15] + "000"               # the ID Excel cut to 15 digits (INVALID_ID)


def test_a_truncated_id_with_a_four_digit_serial_birth_date_is_still_matched():
    """The roster keeps what Excel left: a truncated ID and the 出生日期 as the number 9133.
    Read as a date, the birth date blocks and agrees; read as no date, the death was missed."""
    roster = [member("张三", TRUNCATED, birth="9133", sex="男")]
    deaths = [village_death("张三", OLD, "2020-03-02")]
    found = suspects(roster=roster, deaths=deaths, population=[person("李四", A)])
    assert found["name"] == ["张三"] and found["score"][0] >= 0.95
    assert rule_hits("INVALID_ID", roster=roster)["name"].tolist() == ["张三"]


def test_a_four_digit_serial_birth_date_that_disagrees_with_the_id_is_flagged():
    roster = [member("张三", OLD, birth="9134", sex="男")]   # 1925-01-02; the ID says 1925-01-01
    assert rule_hits("ID_ATTR_MISMATCH", roster=roster, population=[person("张三", OLD)])["name"].tolist() == ["张三"]
