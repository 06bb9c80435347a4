"""The office's papers after the cases are followed up: 督办清单, 镇级复核清单, 追缴台账,
停发/调整 lists and 告知书, and the short notes the village sheets and 附件4 carry about a
case's follow-up.  Reads only: the follow-up itself (escalation, actions, recovery entries,
notices issued) is flows/cases/follow_up.py, run before this.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from flows import warehouse
from flows.cases.recovery import balances
from flows.config import Settings
from flows.reports import notices
from flows.reports.office_lists import write_action_lists, write_supervision_lists, write_township_review_lists
from flows.reports.recovery_ledger import write_recovery_ledgers


def escalation_notes(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, str]:
    """case_id → the text shown in the village sheet's 督办 column."""
    rows = warehouse.query_sql(con, "reports/supervision_list", {"month": month})
    return {row.case_id: escalation_text(row._asdict()) for row in rows.itertuples(index=False)}


def pending_remark_notes(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, str]:
    """case_id → the text shown in 上次核实 for a case last answered with a 备注 only."""
    rows = warehouse.query_sql(con, "reports/pending_remarks", {"month": month})
    return {r.case_id: f"未选核实结果，备注：{r.remark}（待补核实结果）" for r in rows.itertuples(index=False)}


def recovery_remarks(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, str]:
    """township → the 追缴 totals stated in 附件4's 备注."""
    totals = warehouse.query_sql(con, "cases/recovery/township_totals", {"month": month})
    return {r.township: (f"追缴{r.entries}户：应追缴{float(r.amount_before + r.amount_after):,.2f}元"
                         f"（其中核实后仍发放{float(r.amount_after):,.2f}元），已追回{float(r.recovered):,.2f}元，"
                         f"核销{float(r.written_off):,.2f}元，未追回{float(r.balance):,.2f}元")
            for r in totals.itertuples(index=False)}


def escalation_text(row: dict) -> str:
    """The 督办 cell of a village sheet: short, and only what the village needs — no file names,
    import times or payment instructions (stopping a payment is the office's job; the
    督办清单 carries the details)."""
    if row["kind"] == "待镇复核":
        return "村（社区）报不属实或已处理，但有公安/火化等登记证据，待镇民政办复核认定"
    if row["kind"] == "逾期未核实":
        return f"逾期未核实：已下发{row['months_since']}个月未填核实结果，请尽快核实"
    return (f"已核实仍在发放：{_month_zh(row['confirmed_month'])}核实为{row['confirmed_result']}，"
            f"其后又发放{row['months_since']}个月，已报镇民政办督办")


def _month_zh(month: str | None) -> str:
    if not month:
        return ""
    return f"{int(month[:4])}年{int(month[5:7])}月"


def write_follow_up_files(con: duckdb.DuckDBPyConnection, out_dir: Path, month: str, settings: Settings, *,
                          today: dt.date | None = None) -> dict:
    """督办清单, 镇级复核清单 and 追缴台账 into summary/, the 停发/调整 lists into actions/, 告知书
    into notices/ (those the follow-up step issued this month).  Returns counts and, under
    "paths", every file written."""
    today = today or dt.date.today()
    shutil.rmtree(out_dir / "actions", ignore_errors=True)
    shutil.rmtree(out_dir / "notices", ignore_errors=True)
    supervision = _plain(warehouse.query_sql(con, "reports/supervision_list", {"month": month}))
    pending = _plain(warehouse.query_sql(con, "reports/pending_remarks", {"month": month}))
    conflicts = _plain(warehouse.query_sql(con, "reports/open_conflicts"))
    actions = _plain(warehouse.query_sql(con, "cases/actions/month_actions", {"month": month}))
    owed = _plain(balances(con, month))
    households = with_overpaid(_plain(warehouse.query_sql(con, "cases/actions/notice_households", {"month": month})), owed)
    files = {
        "supervision": write_supervision_lists(supervision, out_dir / "summary", month, mask_ids=settings.mask_ids,
                                               pending=pending, conflicts=conflicts,
                                               timing=_plain(warehouse.query_sql(con, "reports/time_to_act",
                                                                                 {"month": month}))),
        "actions": write_action_lists(actions, out_dir / "actions", month),
        "notices": notices.write_notices(households, out_dir / "notices", month, settings.follow_up, today=today),
        "recovery": write_recovery_ledgers(owed, out_dir / "summary", month,
                                           reporting_unit=settings.reporting_unit),
        "township_review": write_township_review_lists(
            _plain(warehouse.query_sql(con, "reports/township_review_list", {"month": month})), out_dir / "summary",
            month, mask_ids=settings.mask_ids),
    }
    return {**{name: len(paths) for name, paths in files.items()},
            "pending_results": len(pending), "open_conflicts": len(conflicts),
            "paths": {name: [str(p) for p in paths] for name, paths in files.items()}}


def with_overpaid(actions: pd.DataFrame, owed: pd.DataFrame) -> pd.DataFrame:
    """Each action with `overpaid`: the unrecovered 追缴 balance of the cases it rests on
    (what the family is asked to return), None when none of them has a recovery entry."""
    balance = {case_id: float(value or 0) for case_id, value in zip(owed["case_id"], owed["balance"])}
    actions = actions.copy()
    actions["overpaid"] = [
        (round(sum(balance[c] for c in cases if c in balance), 2) if any(c in balance for c in cases) else None)
        for cases in (str(ids or "").split("、") for ids in actions["case_ids"])]
    return actions


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)
