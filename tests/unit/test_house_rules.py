"""The house rules a new engineer relies on, checked rather than hoped for."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from flows.rules import RULES, load_catalogue

ROOT = Path(__file__).resolve().parents[2]
SQL_WORDS = re.compile(r"^\s*(with|select|insert|update|delete|create|alter|drop)\b", re.IGNORECASE)


def test_no_multi_line_sql_strings_in_flows():
    """Every SQL statement longer than one line lives in sql/ (STYLE: SQL built apart from where it runs)."""
    offenders = []
    for path in sorted((ROOT / "flows").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value.strip():
                if SQL_WORDS.match(node.value) and re.search(r"\b(from|into|table|set)\b", node.value, re.I):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# Where every statement comes from sql/ through warehouse's runner (issue 27): no SQL built in
# f-strings, one-line statements included, and no connection called directly.
ONE_RUNNER = ("flows/sources", "flows/normalize", "flows/check.py", "flows/generate/counties.py")


def test_reading_and_staging_run_sql_only_through_the_warehouse_runner():
    offenders = []
    for place in ONE_RUNNER:
        paths = sorted((ROOT / place).rglob("*.py")) if (ROOT / place).is_dir() else [ROOT / place]
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.JoinedStr):
                    text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                    if SQL_WORDS.match(text):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} f-string statement")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in ("execute", "sql", "executemany"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
    assert offenders == []


def test_every_rule_file_declares_itself_and_the_catalogue_follows_spec_order():
    rules = load_catalogue()
    spec_order = [
        "DECEASED_PAID", "DECEASED_SUSPECT", "ID_NAME_MISMATCH", "INVALID_ID", "ID_ATTR_MISMATCH",
        "DUPLICATE_BENEFIT", "NOT_IN_REGISTRY", "MOVED_OUT", "HOUSEHOLD_SIZE_CHANGED", "GRADUAL_EXIT_OVERDUE",
        "UNCOVERED_VULNERABLE"]
    assert [code for code in rules if code in spec_order] == spec_order   # SPEC §4 order; new rules may sit between
    assert all(rule.guidance and rule.name_zh for rule in rules.values())


def test_readme_rule_table_matches_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert re.search(rf"\|\s*{rule.code}\s*\|\s*{re.escape(rule.name_zh)}\s*\|\s*{rule.severity}\s*\|", readme), rule.code
