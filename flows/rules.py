"""The catalogue of rules: code, Chinese name, severity, village-sheet family, SQL file.

Severity says how soon a village must act:
high   money is being paid that should not be (death, duplicate, overdue exit) or an
       eligible person is left out;
medium the finding needs checking before money changes (suspected death, identity);
low    records to correct, no payment at stake by itself.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name_zh: str
    severity: str
    family: str
    sql: str  # sql/rules/<file>.sql


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("DECEASED_PAID", "死亡仍在保", "high", "死亡疑点", "rules/deceased_paid"),
    Rule("DECEASED_SUSPECT", "疑似死亡（待核实）", "medium", "死亡疑点", "rules/deceased_suspect"),
    Rule("ID_NAME_MISMATCH", "身份证号与姓名不符", "medium", "身份信息", "rules/id_name_mismatch"),
    Rule("INVALID_ID", "身份证号无效", "medium", "身份信息", "rules/invalid_id"),
    Rule("ID_ATTR_MISMATCH", "性别/出生日期与身份证号不符", "low", "身份信息", "rules/id_attr_mismatch"),
    Rule("DUPLICATE_BENEFIT", "重复享受", "high", "重复享受", "rules/duplicate_benefit"),
    Rule("NOT_IN_REGISTRY", "户籍人口库查无此人", "medium", "身份信息", "rules/not_in_registry"),
    Rule("MOVED_OUT", "户籍已迁出", "medium", "家庭变动", "rules/moved_out"),
    Rule("HOUSEHOLD_SIZE_CHANGED", "家庭人口变动未调整", "medium", "家庭变动", "rules/household_size_changed"),
    Rule("GRADUAL_EXIT_OVERDUE", "渐退期满仍发放", "high", "家庭变动", "rules/gradual_exit_overdue"),
    Rule("UNCOVERED_VULNERABLE", "应保未保（待核实）", "high", "应保未保", "rules/uncovered_vulnerable"),
)}


EXCEPTION_COLUMNS = [
    "rule", "severity", "township", "village", "household_id", "name", "id_number", "id_number_raw",
    "matched_source", "matched_name", "matched_id_number", "death_date", "score", "months_overpaid",
    "amount_overpaid", "detail",
]
