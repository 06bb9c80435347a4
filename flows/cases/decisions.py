"""Decisions on cases: from returned village sheets, or from the township office; and answers
on returned 附件1-3 ledgers (通过排查拟纳入救助 是/否).

A returned file is untrusted input from outside the office.  Before anything from it is
recorded: its envelope is checked (size, seal, month, password: flows/cases/returned_file.py),
every case it answers must have been issued to the village it names, a duplicate listing may
not be stopped (or kept) everywhere, and a recovered amount must fit the outstanding balance.
One problem and the whole file is refused, naming the file and the reason; the other files
of the batch are still imported.

Decisions are appended (never edited) with who, when, from which file, sheet and row, and
move the case's status: 属实 → confirmed, 不属实 → false_positive, 已处理 → resolved — but a
village's 不属实/已处理 on registry-certain evidence makes the case `disputed`, and only a
township decision (flows/cases/township.py) closes it.  The same answer from several copies
is one decision; every copy is kept in decision_sources.  Writing goes through the same lock
and working copy as a run, so a failed import leaves the warehouse as it was.
"""
from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.cases import audit
from flows.cases.record import append_decisions, check_duplicate_choices, query_with, run_with
from flows.cases.returned_file import ReturnError, ReturnedFile, open_returned
from flows.cases.township import decide
from flows.errors import write_traceback
from flows.cases.recovery import KIND_RECOVERED, append_events, balances
from flows.cases.ledger_sheets import LEDGER_FORMATS, ReturnedLedger, read_ledger
from flows.reports.ledgers import KIND_POVERTY_LEDGER
from flows.reports.protection import village_passwords
from flows.cases.village_sheets import VILLAGE_FORMATS, ReturnedSheet, read_sheet
from flows.reports.workbooks import DUPLICATE_CHOICES, RESULT_CHOICES

STATUS_OF_RESULT = {"属实": "confirmed", "不属实": "false_positive", "已处理": "resolved"}
ANSWERS = RESULT_CHOICES + DUPLICATE_CHOICES
_FORMATS = {**VILLAGE_FORMATS, **LEDGER_FORMATS}


@dataclass
class ReturnOutcome:
    file: str
    village: str | None
    recorded: int
    error: str | None = None
    remarks_only: list[str] = field(default_factory=list)   # case_ids with a 备注 but no 核实结果
    conflicts: list[str] = field(default_factory=list)      # Chinese lines: case, both answers, both files
    repeated: int = 0                                        # answers already recorded (this or another copy)
    recovered: int = 0                                       # new 已追回金额 entries recorded
    township_decided: list[str] = field(default_factory=list)  # cases the township has decided: not overturned
    disputed: list[str] = field(default_factory=list)        # denials of registry evidence: to 镇级复核


def record_returns(db_path: Path, month: str, paths: list[Path]) -> list[ReturnOutcome]:
    """Read each returned workbook and record its decisions; a refused file records nothing."""
    outcomes = []
    importer = audit.os_user()
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            warehouse.ensure_schema(con)
            passwords = village_passwords(con)
            for path in paths:
                outcomes.append(_record_one(con, month, Path(path), passwords, importer))
            audit.record_returns(con, month, outcomes, paths)
        finally:
            con.close()
    return outcomes


def _record_one(con, month: str, path: Path, passwords: dict[str, str], importer: str) -> ReturnOutcome:
    try:
        returned = open_returned(path, expected_month=month, formats=_FORMATS, passwords=passwords)
        if returned.kind == KIND_POVERTY_LEDGER:
            return _record_ledger(con, month, returned, importer)
        sheet = read_sheet(returned)
        _check_issued(con, month, sheet, path)
        check_duplicate_choices(con, month, sheet.decisions, path)
        recoveries = _checked_recoveries(con, month, sheet, path)
    except ReturnError as exc:
        return ReturnOutcome(path.name, None, 0, str(exc))
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the batch
        detail = write_traceback(f"dibao returns {path.name}")
        return ReturnOutcome(path.name, None, 0, f"{path.name}：文件无法读取（{type(exc).__name__}，详见 {detail}）")
    return _record_sheet(con, month, path, sheet, recoveries, importer)


def _check_issued(con, month: str, sheet: ReturnedSheet, path: Path) -> None:
    """Every case the sealed sheet carries was issued to the village it names, this month."""
    issued = set(warehouse.query_sql(con, "cases/decisions/issued_cases", {
        "month": month, "township": sheet.township, "village": sheet.village})["case_id"])
    if not set(sheet.issued) <= issued:
        # No case ids in the message: they would help find another village's cases.
        raise ReturnError(path, [f"表内的核查编号与{month}下发给{sheet.village}的核实表不一致"
                                 "（该月可能已重新比对），未导入任何结果：请使用最新下发的表"])




def _checked_recoveries(con, month: str, sheet: ReturnedSheet, path: Path) -> pd.DataFrame:
    """已追回金额 that fit: on a case with a recovery entry, never beyond its outstanding balance.
    An amount already recorded from another copy of the sheet is dropped (recorded once)."""
    rows = sheet.recoveries
    if rows.empty:
        return rows
    owed = balances(con, month)
    balance = dict(zip(owed["case_id"], owed["balance"]))
    known = {_event_key(e.case_id, e.amount, e.event_date)
             for e in warehouse.query_sql(con, "cases/recovery/returned_events").itertuples(index=False)}
    problems, kept = [], []
    for r in rows.itertuples(index=False):
        if _event_key(r.case_id, r.amount, r.event_date) in known:
            continue
        if r.case_id not in balance:
            problems.append(f"核查编号{r.case_id}没有追缴记录，不能填写已追回金额")
        elif Decimal(str(r.amount)) > Decimal(str(balance[r.case_id])):
            problems.append(f"核查编号{r.case_id}的已追回金额{r.amount:.2f}元超过未追回余额"
                            f"{float(balance[r.case_id]):.2f}元")
        else:
            kept.append(r._asdict())
    if problems:
        raise ReturnError(path, problems)
    return pd.DataFrame(kept, columns=rows.columns)


def _event_key(case_id: str, amount, on) -> tuple:
    """(case, amount to the fen, day) — the same however DuckDB or the sheet typed them."""
    day = None if on is None or pd.isna(on) else pd.Timestamp(on).date()
    return case_id, Decimal(str(amount)).quantize(Decimal("0.01")), day


def _record_sheet(con, month: str, path: Path, sheet: ReturnedSheet, recoveries: pd.DataFrame,
                  importer: str) -> ReturnOutcome:
    outcome = ReturnOutcome(path.name, sheet.village, 0, remarks_only=sorted(sheet.remarks["case_id"]))
    now = dt.datetime.now()
    con.execute("begin transaction")
    if not recoveries.empty:
        outcome.recovered = append_events(con, recoveries.rename(columns={"rule_family": "sheet", "row": "row_number"})
                                          .assign(kind=KIND_RECOVERED, reason=None, recorded_by=sheet.village,
                                                  recorded_at=now, source_file=path.name,
                                                  file_sha256=sheet.file_sha256, imported_by=importer))
    if not sheet.remarks.empty:
        remarks = _stamped(sheet.remarks[["case_id", "remark"]], month, sheet.village, path, sheet.file_sha256)
        run_with(con, "_remarks", remarks, "cases/returns/record_remarks")
    decisions = sheet.decisions
    if not decisions.empty:
        rows = _stamped(decisions[["case_id", "result", "choice", "remark", "rule_family", "row"]], month,
                        sheet.village, path, sheet.file_sha256)
        rows = rows.rename(columns={"rule_family": "sheet", "row": "row_number"}).assign(
            origin="village", imported_by=importer)
        verdict = query_with(con, "_incoming", rows, "cases/returns/classify_answers", {"month": month})
        merged = rows.merge(verdict[["case_id", "outcome", "prior_result", "prior_file", "prior_sha"]], on="case_id")
        conflicts = merged[merged["outcome"] == "conflict"]
        if not conflicts.empty:
            shown = conflicts.assign(result=_shown_answers(conflicts))
            run_with(con, "_conflicts", shown.assign(found_at=now), "cases/returns/record_conflicts")
            warehouse.run_sql(con, "cases/returns/reopen_conflicted")
            outcome.conflicts = [
                f"核查编号{c.case_id}：本文件为“{c.result}”，{c.prior_file or '此前录入'}为“{c.prior_result}”"
                for c in shown.itertuples()]
        new = merged[merged["outcome"] == "new"][list(rows.columns)]
        if not new.empty:
            append_decisions(con, new)
            outcome.disputed = sorted(_now_disputed(con, list(new["case_id"])))
        outcome.recorded = len(new)
        outcome.repeated = int((merged["outcome"] == "repeat").sum())
        outcome.township_decided = sorted(merged.loc[merged["outcome"] == "township", "case_id"])
        _record_sources(con, merged.assign(answer=_shown_answers(merged)), "case", "case_id", now)
    con.execute("commit")
    return outcome


def _shown_answers(rows: pd.DataFrame) -> list[str]:
    """The answer as the village chose it: 停发此处/保留此处 on a duplicate listing, else the result."""
    return [c if isinstance(c, str) and c else r for c, r in zip(rows["choice"], rows["result"])]


def _now_disputed(con, case_ids: list[str]) -> list[str]:
    frame = pd.DataFrame({"case_id": case_ids})
    return list(query_with(con, "_cases", frame, "cases/decisions/disputed_cases")["case_id"])


def _record_sources(con, merged: pd.DataFrame, kind: str, id_column: str, now: dt.datetime) -> None:
    """Every copy's answer, with what became of it (recorded / same as recorded / conflict)."""
    outcome = {"new": "recorded", "repeat": "same_as_recorded", "conflict": "conflict",
               "township": "township_decided"}
    sources = pd.DataFrame({
        "subject_id": merged[id_column], "subject_kind": kind, "month": merged["month"],
        "answer": merged["answer"], "remark": merged["remark"], "village": merged["decided_by"],
        "source_file": merged["source_file"], "file_sha256": merged["file_sha256"],
        "sheet": merged["sheet"], "row_number": merged["row_number"], "imported_by": merged["imported_by"],
        "imported_at": now, "outcome": merged["outcome"].map(outcome)})
    run_with(con, "_sources", sources, "cases/decisions/record_sources")






def _stamped(rows: pd.DataFrame, month: str, village: str, path: Path, sha256: str) -> pd.DataFrame:
    """Who answered (the village), when, and from which file."""
    return rows.assign(month=month, decided_by=village, decided_at=dt.datetime.now(),
                       source_file=path.name, file_sha256=sha256)


def _record_ledger(con, month: str, returned: ReturnedFile, importer: str) -> ReturnOutcome:
    ledger: ReturnedLedger = read_ledger(returned)
    path = returned.path
    answers = ledger.answers
    issued = set(warehouse.query_sql(con, "cases/decisions/issued_ledger_entries", {
        "township": ledger.township, "village": ledger.village,
        "household_type": ledger.household_type})["ledger_id"])
    if not {row[1] for row in returned.rows if row[0] == "ledger"} <= issued:
        return ReturnOutcome(path.name, ledger.village, 0,
                             f"{path.name}：表内的台账编号与下发给{ledger.village}的{ledger.household_type}台账不一致，"
                             "未导入任何结果：请使用最新下发的台账")
    if answers.empty:
        return ReturnOutcome(path.name, ledger.village, 0)
    now = dt.datetime.now()
    rows = _stamped(answers[["ledger_id", "include", "reason", "current_assistance", "row"]], month, ledger.village,
                    path, ledger.file_sha256).rename(columns={"row": "row_number"})
    verdict = query_with(con, "_incoming", rows, "cases/returns/classify_ledger_answers", {"month": month})
    merged = rows.merge(verdict, on="ledger_id")
    outcome = ReturnOutcome(path.name, ledger.village, 0)
    con.execute("begin transaction")
    conflicts = merged[merged["outcome"] == "conflict"]
    if not conflicts.empty:
        run_with(con, "_conflicts", conflicts.rename(columns={"ledger_id": "case_id", "include": "result"})
                    .assign(found_at=now), "cases/returns/record_ledger_conflicts")
        outcome.conflicts = [f"台账编号{c.ledger_id}：本文件为“{c.include}”，{c.prior_file or '此前录入'}为“{c.prior_result}”"
                             for c in conflicts.itertuples()]
    new = merged[merged["outcome"] == "new"]
    if not new.empty:
        warehouse.insert_frame(con, "ledger_answers", new[["ledger_id", "include", "reason", "current_assistance",
                                                           "month", "decided_by", "decided_at", "source_file",
                                                           "file_sha256"]])
    outcome.recorded = len(new)
    outcome.repeated = int((merged["outcome"] == "repeat").sum())
    _record_sources(con, merged.assign(answer=merged["include"], remark=merged["reason"], sheet=None,
                                       imported_by=importer), "ledger", "ledger_id", now)
    con.execute("commit")
    return outcome


def record_decision(db_path: Path, case_id: str, result: str, remark: str = "", *,
                    month: str | None = None, reviewer: str | None = None, evidence: str = "") -> str:
    """The township office's decision on one case (review notebook, `dibao decide`): see
    flows/cases/township.py.  Returns the case's new status."""
    return decide(db_path, case_id, result, reason=remark, evidence=evidence,
                  officer=reviewer or getpass.getuser(), month=month)




def settle_conflict(db_path: Path, case_id: str, result: str, remark: str = "", *,
                    reviewer: str | None = None) -> str:
    """The office's answer to a conflicting case or 台账 entry: recorded as its decision (on the
    conflict's month), and the conflict closed.  Returns the month."""
    case_id = case_id.strip().upper()
    reviewer = reviewer or getpass.getuser()
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            warehouse.ensure_schema(con)
            month, kind = warehouse.query_sql(con, "cases/returns/open_conflict", {"case_id": case_id}).iloc[0]
            if month is None or month != month:   # NULL comes back as None or NaN
                raise ValueError(f"核查编号 {case_id} 没有待处理的核实结果冲突")
            if kind == "ledger":
                _settle_ledger(con, case_id, result, remark, month, reviewer)
                return month
            if result not in ANSWERS:
                raise ValueError(f"核实结果应为 {'、'.join(ANSWERS)} 之一")
            choice = result if result in DUPLICATE_CHOICES else None
            answer = pd.DataFrame([{
                "case_id": case_id, "result": "属实" if choice else result, "choice": choice,
                "remark": remark or "冲突处理", "month": month, "decided_by": reviewer,
                "decided_at": dt.datetime.now(), "source_file": None, "file_sha256": None, "origin": "township"}])
            con.execute("begin transaction")
            warehouse.run_sql(con, "cases/returns/settle_conflict",
                              {"case_id": case_id, "result": result, "settled_by": reviewer})
            check_duplicate_choices(con, month, answer, Path(case_id))
            append_decisions(con, answer)
            con.execute("commit")
            return month
        except ReturnError as exc:
            raise ValueError(exc.problems[0]) from None
        finally:
            con.close()


def _settle_ledger(con, ledger_id: str, include: str, reason: str, month: str, reviewer: str) -> None:
    if include not in ("是", "否"):
        raise ValueError(f"台账编号 {ledger_id} 的通过排查拟纳入救助应为“是”或“否”")
    if include == "否" and not reason.strip():
        raise ValueError(f"台账编号 {ledger_id}：填“否”的须用 --remark 说明未纳入原因")
    con.execute("begin transaction")
    warehouse.run_sql(con, "cases/returns/settle_conflict", {"case_id": ledger_id, "result": include, "settled_by": reviewer})
    warehouse.insert_frame(con, "ledger_answers", pd.DataFrame([{
        "ledger_id": ledger_id, "month": month, "include": include, "reason": reason.strip() or None,
        "current_assistance": None, "decided_by": reviewer, "decided_at": dt.datetime.now(),
        "source_file": "镇民政办冲突处理", "file_sha256": "settled"}]))
    con.execute("commit")
