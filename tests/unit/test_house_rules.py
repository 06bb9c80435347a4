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


# Every statement comes from sql/ through warehouse.py's runner (issue 27): no SQL built in
# f-strings, one-line statements included, and no connection called directly — except
# transaction control and warehouse.py itself (the runner: connect, attach, copy, SET).
RUNNER = "flows/warehouse.py"
TRANSACTION_CONTROL = {"begin transaction", "commit", "rollback"}


def test_sql_runs_only_through_the_warehouse_runner():
    offenders = []
    for path in sorted((ROOT / "flows").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() == RUNNER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL_WORDS.match(text):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} f-string statement")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("execute", "sql", "executemany"):
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and first.value in TRANSACTION_CONTROL):
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


def _flows_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((ROOT / "flows").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every flows module `path` imports, at the top or inside a function; not those under
    `if TYPE_CHECKING:` (never executed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    unexecuted = {id(inner) for node in ast.walk(tree)
                  if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                  for child in node.body for inner in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in unexecuted:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:   # `from .faults import …` inside a package
                package = path.relative_to(ROOT).parent.parts[:len(path.relative_to(ROOT).parent.parts) - node.level + 1]
                module = ".".join(package + ((module,) if module else ()))
            if module.startswith("flows"):
                found |= {f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names}
    return {name for name in found if name in modules}


def test_no_module_imports_one_that_imports_it_back():
    """Directly or through others, at the top or inside a function: each room depends one way."""
    modules = _flows_modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    cycles = []
    for start in graph:
        todo, seen = list(graph[start]), set()
        while todo:
            name = todo.pop()
            if name == start:
                cycles.append(start)
                break
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
    assert cycles == []


def test_importing_flows_does_nothing():
    """No module-level statement but imports, definitions and constants: importing a module
    (a worker loading a flow, a test) starts nothing, writes nothing, configures nothing."""
    offenders = []
    for path in sorted((ROOT / "flows").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for i, node in enumerate(tree.body):
            docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            guarded = isinstance(node, ast.If) and any(
                word in ast.unparse(node.test) for word in ("TYPE_CHECKING", "__main__"))
            if not (docstring or guarded or isinstance(node, (
                    ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                    ast.Assign, ast.AnnAssign))):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
