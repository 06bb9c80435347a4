"""From finding to action: the "follow up cases" step of a month's run, and of `dibao actions`
once the returns are in.

The roster is kept per month (roster_months) so later months can see whether the office
acted; confirmed cases still paid, and cases left unanswered too long, are escalated;
every confirmed finding that changes a payment becomes a 停发/调整 action, marked done by
the first later roster that shows it; recovery entries are opened.  Case logic is SQL in
sql/cases/; this module runs it in order.  The papers these rows become are written
afterwards by flows/reports/, which only reads; once they are written, the 告知书 among
them are recorded as issued (`record_notices_issued`).
"""
from __future__ import annotations

import datetime as dt

import duckdb

from flows import warehouse
from flows.config import Settings
from flows.normalize.dates import month_index
from flows.rules import register_catalogue


def follow_up_month(con: duckdb.DuckDBPyConnection, month: str, settings: Settings, *,
                    snapshot_roster: bool = True) -> None:
    """After a month's findings are in `exceptions`: keep the roster, escalate, open and close
    actions and recovery entries.  `snapshot_roster` is False when called after returns (no
    new roster)."""
    params = {"month": month, "month_index": month_index(month), "overdue_months": settings.follow_up.overdue_months}
    register_catalogue(con)   # payment_rules: which confirmed findings change a payment
    steps = ["cases/followup/clear_roster_month", "cases/followup/snapshot_roster"] if snapshot_roster else []
    steps += ["cases/followup/clear_escalations", "cases/followup/escalate", "cases/followup/escalate_severity",
              "cases/actions/open_actions", "cases/actions/mark_done", "cases/recovery/open_entries"]
    for name in steps:
        warehouse.run_sql(con, name, params)


def record_notices_issued(con: duckdb.DuckDBPyConnection, month: str, today: dt.date) -> None:
    """The month's 告知书, just written, are issued on `today` (the date they carry): a later
    printing says 补发 and this date.  In the same working copy as the papers, so a run that
    fails records nothing."""
    warehouse.run_sql(con, "cases/actions/record_notices", {"month": month, "today": today})
