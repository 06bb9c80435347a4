"""Recovery of overpaid benefits (追缴): recording what was recovered or written off.

Entries are opened by the follow-up step (sql/cases/recovery/open_entries.sql) for every confirmed
overpaid death; balances are read with sql/cases/recovery/balances.sql.  Money comes in two ways:
`dibao recover` (or `record_recovery` from the review notebook), and the 已追回金额/追回日期
columns of a returned village sheet (flows/cases/decisions.py).  A write-off (核销) needs a reason.
"""
from __future__ import annotations

import datetime as dt
import getpass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd

from flows import warehouse

KIND_RECOVERED = "追回"
KIND_WRITTEN_OFF = "核销"


class RecoveryError(ValueError):
    """A recovery that cannot be recorded; the message is Chinese and names the case."""


def latest_month(con: duckdb.DuckDBPyConnection) -> str | None:
    return warehouse.fetch_sql(con, "cases/recovery/latest_roster_month")[0][0]


def balances(con: duckdb.DuckDBPyConnection, month: str | None = None) -> pd.DataFrame:
    return warehouse.query_sql(con, "cases/recovery/balances", {"month": month or latest_month(con) or ""})


def record_recovery(db_path: Path, case_id: str, amount, *, on: dt.date | None = None,
                    write_off: bool = False, reason: str = "", by: str | None = None) -> Decimal:
    """Record money recovered (or, with `write_off`, written off) on a case; returns the new balance."""
    value = parse_amount(amount, case_id)
    if write_off and not (reason or "").strip():
        raise RecoveryError(f"核查编号 {case_id}：核销必须说明原因")
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            warehouse.ensure_schema(con)
            entry = balances(con)
            entry = entry[entry["case_id"] == case_id]
            if entry.empty:
                raise RecoveryError(f"核查编号 {case_id} 没有追缴记录（只有核实属实的多发案件才有）")
            balance = Decimal(str(entry["balance"].iloc[0]))
            if value > balance:
                raise RecoveryError(f"核查编号 {case_id}：金额{value}元超过未追回余额{balance}元")
            append_events(con, pd.DataFrame([{
                "case_id": case_id, "kind": KIND_WRITTEN_OFF if write_off else KIND_RECOVERED,
                "amount": value, "event_date": on or dt.date.today(), "reason": reason.strip() or None,
                "recorded_by": by or getpass.getuser(), "recorded_at": dt.datetime.now(),
                "source_file": None, "file_sha256": None}]))
            return balance - value
        finally:
            con.close()


def append_events(con: duckdb.DuckDBPyConnection, events: pd.DataFrame) -> int:
    """Append events, skipping ones already recorded from the same file; returns how many were new."""
    before = warehouse.row_count(con, "recovery_events")
    con.register("_events", events.astype(object).where(events.notna(), None))
    try:
        warehouse.run_sql(con, "cases/recovery/record_events")
    finally:
        con.unregister("_events")
    return warehouse.row_count(con, "recovery_events") - before


def parse_amount(amount, case_id: str) -> Decimal:
    try:
        value = Decimal(str(amount).strip().replace(",", "").removesuffix("元")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RecoveryError(f"核查编号 {case_id}：金额不是数字") from None
    if value <= 0:
        raise RecoveryError(f"核查编号 {case_id}：金额应大于0")
    return value
