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
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from flows import audit, warehouse
from flows.recovery import KIND_RECOVERED, append_events
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
    remarks_only: list[str] = field(default_factory=list)   # case_ids with a 备注 but no 核实结果
    conflicts: list[str] = field(default_factory=list)      # Chinese lines: case, both answers, both files
    repeated: int = 0                                        # answers already imported from this file
    recovered: int = 0                                       # new 已追回金额 entries recorded


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
    unknown = sorted((set(decisions["case_id"]) | set(sheet.remarks["case_id"])) - issued)
    if unknown:
        return ReturnOutcome(path.name, sheet.village, 0,
                             f"{path.name}：核查编号 {'、'.join(unknown[:5])} 不属于{sheet.village}{month}的核实表，未导入任何结果")
    outcome = ReturnOutcome(path.name, sheet.village, 0, remarks_only=sorted(sheet.remarks["case_id"]))
    con.execute("begin transaction")
    if not sheet.recoveries.empty:
        outcome.recovered = append_events(con, sheet.recoveries.assign(
            kind=KIND_RECOVERED, reason=None, recorded_by=sheet.village, recorded_at=dt.datetime.now(),
            source_file=path.name, file_sha256=sheet.file_sha256))
    if not sheet.remarks.empty:
        remarks = _stamped(sheet.remarks[["case_id", "remark"]], month, sheet.village, path, sheet.file_sha256)
        _with_frame(con, "_remarks", remarks, "returns/record_remarks")
    if not decisions.empty:
        rows = _stamped(decisions[["case_id", "result", "remark"]], month, sheet.village, path, sheet.file_sha256)
        new, conflicts, outcome.repeated = _classify(con, rows, month)
        if not conflicts.empty:
            _with_frame(con, "_conflicts", conflicts.assign(found_at=dt.datetime.now()), "returns/record_conflicts")
            warehouse.run_sql(con, "returns/reopen_conflicted")
            outcome.conflicts = [
                f"核查编号{c.case_id}：本文件为“{c.result}”，{c.prior_file or '此前录入'}为“{c.prior_result}”"
                for c in conflicts.itertuples()]
        if not new.empty:
            _append(con, new)
        outcome.recorded = len(new)
    con.execute("commit")
    return outcome


def _classify(con, rows: pd.DataFrame, month: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Split a file's answers into new ones, conflicts (with the earlier answer) and repeats."""
    con.register("_incoming", rows)
    try:
        verdict = warehouse.query_sql(con, "returns/classify_answers", {"month": month})
    finally:
        con.unregister("_incoming")
    merged = rows.merge(verdict[["case_id", "outcome", "prior_result", "prior_file", "prior_sha"]], on="case_id")
    new = merged[merged["outcome"] == "new"][list(rows.columns)]
    conflicts = merged[merged["outcome"] == "conflict"]
    return new, conflicts, int((merged["outcome"] == "repeat").sum())


def _with_frame(con, name: str, frame: pd.DataFrame, sql: str) -> None:
    con.register(name, frame.astype(object).where(frame.notna(), None))
    try:
        warehouse.run_sql(con, sql)
    finally:
        con.unregister(name)


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


def settle_conflict(db_path: Path, case_id: str, result: str, remark: str = "", *,
                    reviewer: str | None = None) -> str:
    """The office's answer to a conflicting case: recorded as its decision (on the conflict's
    month), and the conflict closed.  Returns the month."""
    if result not in STATUS_OF_RESULT:
        raise ValueError(f"核实结果应为 {'、'.join(STATUS_OF_RESULT)} 之一")
    reviewer = reviewer or getpass.getuser()
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            warehouse.ensure_schema(con)
            found = con.execute("select max(month) from decision_conflicts where case_id = ? and settled_at is null",
                                [case_id]).fetchone()[0]
            if found is None:
                raise ValueError(f"核查编号 {case_id} 没有待处理的核实结果冲突")
            con.execute("begin transaction")
            warehouse.run_sql(con, "returns/settle_conflict",
                              {"case_id": case_id, "result": result, "settled_by": reviewer})
            _append(con, pd.DataFrame([{
                "case_id": case_id, "result": result, "remark": remark or "冲突处理", "month": found,
                "decided_by": reviewer, "decided_at": dt.datetime.now(), "source_file": None, "file_sha256": None,
            }]))
            con.execute("commit")
            return found
        finally:
            con.close()
