"""What a rule's header declares is what the warehouse's payment and 附件4 tables say."""
from __future__ import annotations

import pytest

from flows import warehouse
from flows.rules import RULES, load_catalogue, register_catalogue

HEADER = """-- rule: TEST_RULE
-- name_zh: 测试
-- severity: low
-- family: 身份信息
-- order: 999
{extra}-- guidance: 测试用
select 1;
"""


def test_payment_rules_are_the_rules_headers():
    con = warehouse.connect(":memory:")
    warehouse.ensure_schema(con)
    register_catalogue(con)
    rows = con.execute("select rule, action, reason_zh, scope from payment_rules order by rule").fetchall()
    # the policy table the headers replaced (停发 person/household/listing, 调整 household)
    assert rows == sorted([
        ("DECEASED_PAID", "停发", "经核实已死亡", "person"),
        ("DECEASED_SUSPECT", "停发", "经核实已死亡", "person"),
        ("DUPLICATE_BENEFIT", "停发", "经核实重复享受救助", "listing"),
        ("MOVED_OUT", "停发", "经核实户籍已迁出", "person"),
        ("GRADUAL_EXIT_OVERDUE", "停发", "渐退期已满", "household"),
        ("HOUSEHOLD_SIZE_CHANGED", "调整", "经核实家庭人口发生变化", "household")])
    annex = dict(con.execute("select code, annex4 from rule_catalogue").fetchall())
    assert annex["DECEASED_PAID"] == ["stopped_amount", "overpaid"]
    assert annex["DECEASED_SUSPECT"] == ["overpaid_confirmed"]
    assert {code for code, roles in annex.items() if "complete_info" in roles} == {
        code for code, rule in RULES.items() if rule.family == "身份信息"}


def test_a_new_rule_declares_its_payment_in_its_header(tmp_path):
    (tmp_path / "test_rule.sql").write_text(HEADER.format(
        extra="-- payment: stop household\n-- payment_reason: 测试停发\n-- annex4: stopped_amount\n"), encoding="utf-8")
    rule = load_catalogue(tmp_path)["TEST_RULE"]
    assert (rule.payment, rule.payment_reason, rule.annex4) == ("stop household", "测试停发", ("stopped_amount",))
    (tmp_path / "test_rule.sql").write_text(HEADER.format(extra=""), encoding="utf-8")
    assert load_catalogue(tmp_path)["TEST_RULE"].payment == "none"    # no header line: no payment change


@pytest.mark.parametrize("extra, words", [
    ("-- payment: stop everyone\n-- payment_reason: x\n", "payment must be one of"),
    ("-- payment: stop person\n", "payment_reason goes with a payment"),
    ("-- payment_reason: x\n", "payment_reason goes with a payment"),
    ("-- annex4: stopped_amount\n", "needs a payment that stops"),
    ("-- annex4: everything\n", "annex4 roles are"),
])
def test_a_header_that_cannot_be_applied_is_refused_naming_the_file(tmp_path, extra, words):
    (tmp_path / "test_rule.sql").write_text(HEADER.format(extra=extra), encoding="utf-8")
    with pytest.raises(ValueError, match=words) as refused:
        load_catalogue(tmp_path)
    assert "test_rule.sql" in str(refused.value)
