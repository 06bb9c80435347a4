"""The catalogue of rules, read from the structured header of each `sql/rules/*.sql`.

A rule is one SQL file whose first comment lines declare it:

    -- rule: DECEASED_PAID
    -- name_zh: 死亡仍在保
    -- severity: high            high | medium | low
    -- family: 死亡疑点           the village-sheet family (one sheet per family)
    -- order: 10                 SPEC order; also the order rules run in
    -- prepare: suspect_scoring  (optional) a step the rule's SQL needs first
    -- needs: DECEASED_PAID      (optional) rules whose findings this rule reads from rule_hits
    -- outranks_village: always  (optional) registry evidence a village's denial cannot close:
                                 always (every finding), or registry_death (an exact-ID death
                                 from a death registry — 公安, 火化 — or from two sources)
    -- payment: stop person      (optional) what a confirmed (属实) finding does to a payment:
                                 stop person | stop household | stop listing (only the listing
                                 the village chose 停发此处) | adjust household | none (default)
    -- payment_reason: 经核实已死亡  the reason on action lists and 告知书 (with a payment)
    -- annex4: stopped_amount    (optional) how the finding counts in 附件4, any of:
                                 stopped_amount (its stop's monthly amount is 拟调整补差金额),
                                 overpaid (its 多发金额 is confirmed), overpaid_confirmed (its
                                 多发金额 is confirmed once the village confirms it, 疑似 until then),
                                 complete_info (the person counts in 拟完善资料)
    -- guidance: …               what the finding means and what the village does (说明 sheet)

Everything else — the CLI table, the workbooks' sheets and 说明, the actions a confirmed
finding opens (payment_rules), 附件4, the review notebook and the README table — reads this
catalogue, so adding a rule is its SQL file (plus its tests and a generator fault).

Severity says how soon a village must act:
high   money is being paid that should not be (death, duplicate, overdue exit) or an
       eligible person is left out;
medium the finding needs checking before money changes (suspected death, identity);
low    records to correct, no payment at stake by itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from flows import warehouse
from flows.config import SQL_DIR, Settings
from flows.normalize.dates import month_bounds, month_index

SEVERITIES = ("high", "medium", "low")
_FIELD = re.compile(r"^--\s*([a-z_0-9]+):\s*(.*?)\s*$")
_REQUIRED = ("rule", "name_zh", "severity", "family", "order", "guidance")
# Separation of duties (农村低保专项治理: 村干部不得一人说了算): a village's 不属实/已处理 on such a
# finding does not close it; the township decides (flows/cases/township.py).
OUTRANKS_VILLAGE = ("always", "registry_death")
# `-- payment:` → (action on the 停发调整清单, whose benefit it concerns).
PAYMENTS = {"stop person": ("停发", "person"), "stop household": ("停发", "household"),
            "stop listing": ("停发", "listing"), "adjust household": ("调整", "household"), "none": (None, None)}
ANNEX4_ROLES = ("stopped_amount", "overpaid", "overpaid_confirmed", "complete_info")


@dataclass(frozen=True)
class Rule:
    code: str
    name_zh: str
    severity: str
    family: str
    order: int
    guidance: str
    sql: str  # 'rules/<file>', for warehouse.run_sql
    prepare: str | None = None
    needs: tuple[str, ...] = ()
    outranks_village: str | None = None
    payment: str = "none"
    payment_reason: str | None = None
    annex4: tuple[str, ...] = ()


def read_header(path) -> dict[str, str]:
    """The `-- key: value` lines at the top of a SQL file, until the first other line."""
    fields = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _FIELD.match(line)
        if not match:
            break
        fields[match[1]] = match[2]
    return fields


def load_catalogue(folder=SQL_DIR / "rules") -> dict[str, Rule]:
    rules = []
    for path in sorted(folder.glob("*.sql")):
        header = read_header(path)
        missing = [key for key in _REQUIRED if key not in header]
        if missing:
            raise ValueError(f"{path.name}: rule header lacks {', '.join(missing)}")
        if header["severity"] not in SEVERITIES:
            raise ValueError(f"{path.name}: severity must be one of {SEVERITIES}")
        if header.get("outranks_village", OUTRANKS_VILLAGE[0]) not in OUTRANKS_VILLAGE:
            raise ValueError(f"{path.name}: outranks_village must be one of {OUTRANKS_VILLAGE}")
        payment = header.get("payment", "none")
        if payment not in PAYMENTS:
            raise ValueError(f"{path.name}: payment must be one of {tuple(PAYMENTS)}")
        if (payment != "none") != bool(header.get("payment_reason")):
            raise ValueError(f"{path.name}: payment_reason goes with a payment, and only with one")
        annex4 = tuple(header.get("annex4", "").replace(",", " ").split())
        if any(role not in ANNEX4_ROLES for role in annex4):
            raise ValueError(f"{path.name}: annex4 roles are {ANNEX4_ROLES}")
        if "stopped_amount" in annex4 and PAYMENTS[payment][0] != "停发":
            raise ValueError(f"{path.name}: annex4 stopped_amount needs a payment that stops")
        rules.append(Rule(header["rule"], header["name_zh"], header["severity"], header["family"],
                          int(header["order"]), header["guidance"], f"rules/{path.stem}", header.get("prepare"),
                          tuple(header.get("needs", "").replace(",", " ").split()),
                          header.get("outranks_village"), payment, header.get("payment_reason"), annex4))
    rules.sort(key=lambda r: r.order)
    catalogue = {r.code: r for r in rules}
    for rule in rules:
        late = [n for n in rule.needs if n not in catalogue or catalogue[n].order >= rule.order]
        if late:
            raise ValueError(f"{rule.sql}: needs {', '.join(late)}, which must exist and run earlier (order)")
    return catalogue


RULES: dict[str, Rule] = load_catalogue()

# Sheet families in the order their first rule appears; each family's rules in order.
def _families(rules: dict[str, Rule]) -> dict[str, tuple[str, ...]]:
    families: dict[str, tuple[str, ...]] = {}
    for rule in rules.values():
        families[rule.family] = families.get(rule.family, ()) + (rule.code,)
    return families


RULE_FAMILIES: dict[str, tuple[str, ...]] = _families(RULES)


EXCEPTION_COLUMNS = [
    "rule", "severity", "township", "village", "household_id", "name", "id_number", "id_number_raw",
    "matched_source", "matched_name", "matched_id_number", "death_date", "score", "months_overpaid",
    "amount_overpaid", "detail",
]


def rule_params(month: str, settings: Settings, run_id: str = "") -> dict:
    """The parameters every rule's SQL may use (`$month`, `$month_start`, …)."""
    first, last = month_bounds(month)
    return {
        "month": month, "run_id": run_id, "month_start": first, "month_end": last,
        "month_index": month_index(month),
        "gradual_exit_months": settings.gradual_exit_months,
        "suspect_min_probability": settings.suspect_min_probability,
        "dibao_standard": settings.dibao_standard_monthly,
    }


def catalogue_frame() -> pd.DataFrame:
    """The catalogue as the warehouse keeps it (rule_catalogue): what SQL reads of each rule."""
    return pd.DataFrame([
        {"code": r.code, "name_zh": r.name_zh, "severity": r.severity, "family": r.family, "position": i,
         "outranks_village": r.outranks_village, "payment_action": PAYMENTS[r.payment][0],
         "payment_scope": PAYMENTS[r.payment][1], "payment_reason": r.payment_reason, "annex4": list(r.annex4)}
        for i, r in enumerate(RULES.values())
    ]).astype({"payment_action": object, "payment_scope": object, "payment_reason": object})


def register_catalogue(con) -> None:
    """The catalogue into the warehouse (rule_catalogue) and, from it, payment_rules: every
    step that reads them reads the catalogue of the code that runs it, never an older one."""
    warehouse.replace_table(con, "rule_catalogue", catalogue_frame())
    warehouse.run_sql(con, "cases/payment_rules")
