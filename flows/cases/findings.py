"""Recording a month's findings: rule_hits become this month's exceptions and cases.

A case is a finding followed across months (sql/cases/findings/): opened when first seen,
kept while seen, resolved when the evidence is gone; its registry certainty decides who
may close it (flows/cases/township.py).  Called by the match step, and again after
cross-county findings are added to rule_hits (flows/counties).
"""
from __future__ import annotations

from flows import warehouse
from flows.rules import RULES


def record_findings(con, params: dict) -> dict[str, int]:
    """rule_hits -> this month's cases and exceptions, in one transaction; counts per rule."""
    month = params["month"]
    con.execute("begin transaction")
    for name in ("cases/findings/open_new_cases", "cases/findings/update_seen_cases", "cases/findings/resolve_missing_cases",
                 "cases/findings/open_ledger_entries"):
        warehouse.run_sql(con, name, params)
    warehouse.run_sql(con, "cases/findings/clear_month", params)
    warehouse.run_sql(con, "reports/month_exceptions", params, prefix="insert into exceptions by name ")
    warehouse.run_sql(con, "cases/findings/registry_certainty", params)
    con.execute("commit")
    counts = dict(warehouse.fetch_sql(con, "cases/findings/rule_counts", {"month": month}))
    return {code: int(counts.get(code, 0)) for code in RULES}
