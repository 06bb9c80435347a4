"""Decisions on cases: from returned village sheets, or from the analyst's notebook;
and answers on returned 附件1-3 ledgers (通过排查拟纳入救助 是/否).

Decisions are appended (never edited) with who, when and from which file, and move
the case's status: 属实 → confirmed, 不属实 → false_positive, 已处理 → resolved.
Writing goes through the same lock and working copy as a run, so a failed import
leaves the warehouse as it was.
"""
from __future__ import annotations

import datetime as dt
import getpass
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from flows import audit, warehouse
from flows.reports.ledger_returns import ReturnedLedger, read_returned_ledger
from flows.reports.ledgers import KIND_POVERTY_LEDGER
from flows.reports.protection import decrypted, is_protected, village_passwords
from flows.reports.returns import ReturnError, read_returned_workbook

STATUS_OF_RESULT = {"属实": "confirmed", "不属实": "false_positive", "已处理": "resolved"}


@dataclass
class ReturnOutcome:
    file: str
    village: str | None
    recorded: int
    error: str | None = None


def record_returns(db_path: Path, month: str, paths: list[Path]) -> list[ReturnOutcome]:
    """Read each returned workbook and record its decisions; a bad file records nothing."""
    outcomes = []
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            warehouse.ensure_schema(con)
            passwords = village_passwords(con)
            for path in paths:
                outcomes.append(_record_one(con, month, Path(path), passwords))
            audit.record_returns(con, month, outcomes, paths)
        finally:
            con.close()
    return outcomes


def _record_one(con, month: str, path: Path, passwords: dict[str, str]) -> ReturnOutcome:
    try:
        if workbook_kind(path, passwords) == KIND_POVERTY_LEDGER:
            return _record_ledger(con, month, path,
                                  read_returned_ledger(path, expected_month=month, passwords=passwords))
        sheet = read_returned_workbook(path, expected_month=month, passwords=passwords)
    except ReturnError as exc:
        return ReturnOutcome(path.name, None, 0, str(exc))
    decisions = sheet.decisions
    issued = set(warehouse.query_sql(con, "decisions/issued_cases", {
        "month": month, "township": sheet.township, "village": sheet.village})["case_id"])
    unknown = sorted(set(decisions["case_id"]) - issued)
    if unknown:
        return ReturnOutcome(path.name, sheet.village, 0,
                             f"{path.name}：核查编号 {'、'.join(unknown[:5])} 不属于{sheet.village}{month}的核实表，未导入任何结果")
    if decisions.empty:
        return ReturnOutcome(path.name, sheet.village, 0)
    rows = _stamped(decisions[["case_id", "result", "remark"]], month, sheet.village, path, sheet.file_sha256)
    con.execute("begin transaction")
    _append(con, rows)
    con.execute("commit")
    return ReturnOutcome(path.name, sheet.village, len(rows))


def _stamped(rows: pd.DataFrame, month: str, village: str, path: Path, sha256: str) -> pd.DataFrame:
    """Who answered (the village), when, and from which file."""
    return rows.assign(month=month, decided_by=village, decided_at=dt.datetime.now(),
                       source_file=path.name, file_sha256=sha256)


def workbook_kind(path: Path, passwords: dict[str, str] | None = None) -> str | None:
    """The `kind` our hidden _meta sheet declares, or None for any other file."""
    try:
        content = Path(path).read_bytes()
        if is_protected(content):
            content = decrypted(path, content, passwords or {})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(content), read_only=True)
    except Exception:  # noqa: BLE001 - the full reader reports unreadable files in Chinese
        return None
    try:
        if "_meta" not in book.sheetnames:
            return None
        for key, value, *_ in book["_meta"].iter_rows(values_only=True):
            if key == "kind":
                return value
        return None
    finally:
        book.close()


def _record_ledger(con, month: str, path: Path, ledger: ReturnedLedger) -> ReturnOutcome:
    answers = ledger.answers
    issued = set(warehouse.query_sql(con, "decisions/issued_ledger_entries", {
        "township": ledger.township, "village": ledger.village,
        "household_type": ledger.household_type})["ledger_id"])
    unknown = sorted(set(answers["ledger_id"]) - issued)
    if unknown:
        return ReturnOutcome(path.name, ledger.village, 0,
                             f"{path.name}：台账编号 {'、'.join(unknown[:5])} 不属于{ledger.village}的{ledger.household_type}台账，未导入任何结果")
    if answers.empty:
        return ReturnOutcome(path.name, ledger.village, 0)
    rows = _stamped(answers[["ledger_id", "include", "reason", "current_assistance"]], month, ledger.village,
                    path, ledger.file_sha256)
    warehouse.insert_frame(con, "ledger_answers", rows)
    return ReturnOutcome(path.name, ledger.village, len(rows))


def record_decision(db_path: Path, case_id: str, result: str, remark: str = "", *,
                    month: str, reviewer: str | None = None) -> None:
    """The analyst's decision on one case (used from the review notebook)."""
    if result not in STATUS_OF_RESULT:
        raise ValueError(f"核实结果应为 {'、'.join(STATUS_OF_RESULT)} 之一")
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            if not con.execute("select count(*) from cases where case_id = ?", [case_id]).fetchone()[0]:
                raise ValueError(f"没有核查编号为 {case_id} 的案件")
            rows = pd.DataFrame([{
                "case_id": case_id, "result": result, "remark": remark, "month": month,
                "decided_by": reviewer or getpass.getuser(), "decided_at": dt.datetime.now(),
                "source_file": None, "file_sha256": None,
            }])
            con.execute("begin transaction")
            _append(con, rows)
            con.execute("commit")
        finally:
            con.close()


def _append(con, rows: pd.DataFrame) -> None:
    """Append decisions (with the evidence they were made on) and move case statuses."""
    con.register("_decisions", rows)
    try:
        warehouse.run_sql(con, "decisions/append_decisions")
        warehouse.run_sql(con, "decisions/apply_decisions")
    finally:
        con.unregister("_decisions")
