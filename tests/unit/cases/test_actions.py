"""The 停发/调整 actions on literal households: the roster as kept per month, the cases and the
villages' decisions written as rows into a real warehouse, the real action SQL run on them.

Money is the point: a 补差 household's members are each paid what the standard leaves after
income, so a member who stops takes exactly their own amount away — never 保障人数 × 低保标准.
"""
from __future__ import annotations

import datetime as dt

import pytest

from flows import warehouse
from flows.rules import register_catalogue

MONTH = "2020-05"


def listed(household, village="天竺村", month=MONTH, **members):
    """roster_months rows: name=(relation, amount, 保障人数)."""
    return [dict(month=month, person_key=f"回龙镇|{household}|{name}", township="回龙镇", village=village,
                 household_id=household, head_name=next(iter(members)), name=name, id_number=f"ID-{name}",
                 id_number_raw=f"ID-{name}", relation=relation, benefit_type="农村低保", household_size=size,
                 monthly_amount=amount)
            for name, (relation, amount, size) in members.items()]


ROSTER = (
    # a 补差 household of four paid 912; 甲 (户主) and 丙 die
    listed("BC", 甲=("户主", 300, 4), 乙=("配偶", 250, 4), 丙=("子女", 200, 4), 丁=("子女", 162, 4))
    # two people paid 405 each; 戊 dies
    + listed("TWO", 戊=("户主", 405, 2), 己=("配偶", 405, 2))
    # only a household amount on the 户主's row; 庚 dies
    + listed("HH", 辛=("户主", 912, 3), 庚=("配偶", None, 3), 壬=("子女", None, 3))
    # 癸 listed twice: 停发此处 in DUP2 (with 子), 保留此处 in DUP1; 丑 answered 属实 without a choice
    + listed("DUP1", 癸=("户主", 500, 1)) + listed("DUP2", 子=("户主", 300, 2), 癸=("子女", 300, 2))
    + listed("DUP3", 丑=("户主", 450, 1)) + listed("DUP4", 丑=("户主", 450, 1))
    # 保障人数 3 but two listed: the size alone is confirmed
    + listed("SIZE", 寅=("户主", 300, 3), 卯=("配偶", 300, 3))
    # 渐退期满: the whole household stops
    + listed("EXIT", 辰=("户主", 200, 2), 巳=("子女", 200, 2))
)

CASES = [  # (case_id, rule, person, result, choice)
    ("C01", "DECEASED_PAID", "BC|甲", "属实", None),
    ("C02", "DECEASED_PAID", "BC|丙", "属实", None),
    ("C03", "HOUSEHOLD_SIZE_CHANGED", "BC|甲", "属实", None),
    ("C04", "DECEASED_PAID", "TWO|戊", "属实", None),
    ("C05", "DECEASED_SUSPECT", "HH|庚", "属实", None),
    ("C06", "DUPLICATE_BENEFIT", "DUP1|癸", "属实", "保留此处"),
    ("C07", "DUPLICATE_BENEFIT", "DUP2|癸", "属实", "停发此处"),
    ("C08", "DUPLICATE_BENEFIT", "DUP3|丑", "属实", None),
    ("C09", "DUPLICATE_BENEFIT", "DUP4|丑", "不属实", None),
    ("C10", "HOUSEHOLD_SIZE_CHANGED", "SIZE|寅", "属实", None),
    ("C11", "GRADUAL_EXIT_OVERDUE", "EXIT|辰", "属实", None),
]


@pytest.fixture()
def con(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    warehouse.ensure_schema(con)
    register_catalogue(con)   # payment_rules, as every run and `dibao actions` registers them
    add_roster(con, ROSTER)
    for case_id, rule, person, result, choice in CASES:
        decide(con, case_id, rule, person, result, choice)
    yield con
    con.close()


def add_roster(con, rows):
    for r in rows:
        con.execute("insert into roster_months by name select * from (select unnest([$row], recursive := true))",
                    {"row": r})


def decide(con, case_id, rule, person, result, choice=None, month=MONTH):
    con.execute("insert into cases values (?, ?, ?, ?, ?, ?, null) on conflict do nothing",
                [case_id, rule, f"回龙镇|{person}", month, month, "confirmed" if result == "属实" else "false_positive"])
    con.execute("insert into decisions (case_id, month, result, decided_by, decided_at, choice) values (?, ?, ?, ?, ?, ?)",
                [case_id, month, result, "天竺村", dt.datetime(2020, 5, 20), choice])


def open_actions(con, month=MONTH) -> dict[str, dict]:
    warehouse.run_sql(con, "cases/actions/open_actions", {"month": month})
    frame = con.execute("select * from actions where created_month = ? order by household_id", [month]).df()
    return {r["household_id"]: r for r in frame.to_dict("records")}


def money(value):
    return None if value is None or value != value else float(value)


def test_a_member_who_stops_takes_only_their_own_amount(con):
    actions = open_actions(con)
    bc = actions["BC"]
    # 912 − (甲 300 + 丙 200): not 2 × 低保标准 (1,240, a raise)
    assert (bc["kind"], bc["current_size"], bc["new_size"]) == ("调整", 4, 2)
    assert (money(bc["current_amount"]), money(bc["new_amount"])) == (912, 412)
    assert (bc["name"], bc["stop_count"], bc["case_ids"]) == ("甲、丙", 2, "C01、C02、C03")
    assert bc["addressee"] == "乙" and bc["from_month"] == "2020-06"
    two = actions["TWO"]
    assert (money(two["current_amount"]), money(two["new_amount"]), two["addressee"]) == (810, 405, "己")


def test_no_action_ever_raises_a_payment_and_one_row_per_household(con):
    actions = open_actions(con)
    for action in actions.values():
        new = money(action["new_amount"])
        assert new is None or new <= money(action["current_amount"]), action["household_id"]
    counts = con.execute("select household_id, count(*) from actions group by all having count(*) > 1").fetchall()
    assert counts == []
    # only a household amount listed: no figure, 需重新核定
    assert (money(actions["HH"]["new_amount"]), actions["HH"]["amount_note"]) == (None, "需重新核定")
    # the size alone changed: nobody stops, the office re-assesses
    size = actions["SIZE"]
    assert (size["kind"], size["stop_count"], size["amount_note"]) == ("调整", 0, "需重新核定")
    assert money(size["new_amount"]) is None
    # 渐退期满: everyone stops, the family (nobody remains) is addressed
    exit_ = actions["EXIT"]
    assert (exit_["kind"], money(exit_["new_amount"]), exit_["new_size"], exit_["addressee"]) == ("停发", 0, 0, "家属/代领人")


def test_a_duplicate_stops_only_the_listing_chosen(con):
    actions = open_actions(con)
    assert "DUP1" not in actions                     # 保留此处
    dup = actions["DUP2"]
    assert (dup["name"], dup["kind"], money(dup["new_amount"]), dup["addressee"]) == ("癸", "调整", 300, "子")
    assert "DUP3" not in actions and "DUP4" not in actions   # 属实 without a choice; 不属实


def test_actions_open_once_and_a_later_stop_counts_the_pending_one(con):
    first = {household: row["action_id"] for household, row in open_actions(con).items()}
    again = {household: row["action_id"] for household, row in open_actions(con).items()}
    assert again == first and con.execute("select count(*) from actions").fetchone() == (len(first),)
    # June: TWO still lists 戊 (not stopped yet) when 己 is found dead too: nobody remains
    add_roster(con, listed("TWO", month="2020-06", 戊=("户主", 405, 2), 己=("配偶", 405, 2)))
    decide(con, "C12", "DECEASED_PAID", "TWO|己", "属实", month="2020-06")
    june = open_actions(con, "2020-06")
    assert list(june) == ["TWO"]
    assert (june["TWO"]["kind"], june["TWO"]["name"], money(june["TWO"]["new_amount"])) == ("停发", "己", 0)
    # July: the household is gone: both done
    warehouse.run_sql(con, "cases/actions/mark_done", {"month": "2020-07"})
    assert con.execute("select count(*) from actions where household_id = 'TWO' and done_month = '2020-07'"
                       ).fetchone() == (2,)


def test_an_adjustment_is_done_when_the_stopped_members_are_gone(con):
    open_actions(con)
    add_roster(con, listed("BC", month="2020-06", 乙=("户主", 250, 2), 丁=("子女", 162, 2))
               + listed("DUP2", month="2020-06", 子=("户主", 300, 2), 癸=("子女", 300, 2)))
    warehouse.run_sql(con, "cases/actions/mark_done", {"month": "2020-06"})
    done = dict(con.execute("select household_id, done_month from actions").fetchall())
    assert done["BC"] == "2020-06" and done["DUP2"] is None


def test_a_notice_printed_again_says_reissued_with_the_first_date(tmp_path, con):
    """The month's notices written again on a later day (more returns, a lost copy) are the
    same notices: each says 补发 and the date it was first issued."""
    from docx import Document

    from flows.config import load_settings
    from flows.reports.papers import with_overpaid
    from flows.reports.notices import write_notices

    open_actions(con)
    warehouse.run_sql(con, "cases/actions/record_notices", {"month": MONTH, "today": dt.date(2020, 6, 1)})
    notices = warehouse.query_sql(con, "cases/actions/notice_households", {"month": MONTH})
    notices = with_overpaid(notices.astype(object).where(notices.notna(), None),
                            warehouse.query_sql(con, "cases/recovery/balances", {"month": MONTH}))
    assert len(notices) == 6                         # one per household action, none lost
    (path,) = write_notices(notices, tmp_path, MONTH, load_settings().follow_up, today=dt.date(2020, 6, 10))
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert text.count("（补发，原告知书出具日期：2020年6月1日）") == 6
    assert "甲（户）" not in text and "乙（户）（回龙镇天竺村，户编号BC）" in text     # the living 配偶, not the dead 户主
    assert "需重新核定" in text and "1,240" not in text
    # June: no new decision, so no notice is due again
    assert len(warehouse.query_sql(con, "cases/actions/notice_households", {"month": "2020-06"})) == 0


def test_a_member_the_registry_reports_dead_is_never_the_addressee(con):
    """A one-person household: the village confirms 在世0人 (size) but answers the exact-ID death
    已处理, so the death is disputed and nobody stops yet.  The notice must not be addressed to
    the person the police file says died."""
    add_roster(con, listed("ALONE", 白=("户主", 851, 1)))
    con.execute("insert into cases values ('C20', 'DECEASED_PAID', '回龙镇|ALONE|白', ?, ?, 'disputed', null)",
                [MONTH, MONTH])
    decide(con, "C21", "HOUSEHOLD_SIZE_CHANGED", "ALONE|白", "属实")
    alone = open_actions(con)["ALONE"]
    assert alone["addressee"] == "家属/代领人"
    assert alone["new_amount"] is None or alone["new_amount"] != alone["new_amount"]   # 需重新核定, no figure
    assert alone["amount_note"] == "需重新核定"
