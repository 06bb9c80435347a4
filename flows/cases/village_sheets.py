"""Reading village workbooks that come back with 核实结果 filled in (`dibao returns`).

A returned file is trusted only as far as it can be checked against what was sent
(flows/cases/returned_file.py): its hidden `_meta` sheet, sealed with the office's key,
says which township, village and month it belongs to, lists every 核查编号 (case_id) it
was issued with, and keeps for each row a sha256 of (核查编号, 身份证号 cell, 姓名 cell)
exactly as written and whether the row was issued with 已追回金额 to fill in.  A row whose
name or ID was typed over no longer matches, so its answer cannot be pinned on anyone.

All or nothing: one problem anywhere in a file and no decision from it is used;
`ReturnError` lists every problem found, so the village can fix them in one go.
Messages name the file, sheet, row and case_id — never a person's name or ID,
since they are shown in logs and on screens.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from flows.cases.returned_file import (
    MAX_CELL_CHARS, IssuedRow, IssuedRows, ReturnError, ReturnedFile, cell_text, check_row_count, is_month,
    issued_rows, open_returned,
)
from flows.normalize.dates import parse_date
from flows.reports.workbooks import (
    CASE_ID_HEADER, DUPLICATE_CHOICES, FORMAT_VERSION, ID_HEADER, KIND_EXCEPTIONS, KIND_NO_EXCEPTIONS,
    NAME_HEADER, RECOVERED_DATE_HEADER, RECOVERED_HEADER, REMARK_HEADER, RESULT_HEADER,
    RULE_FAMILIES, result_choices,
)

__all__ = ["ReturnError", "ReturnedSheet", "read_returned_workbook", "read_sheet", "cell_text", "is_month",
           "find_columns", "VILLAGE_FORMATS"]

DECISION_COLUMNS = ("case_id", "rule_family", "row", "masked_id", "result", "choice", "remark")
RECOVERY_COLUMNS = ("case_id", "amount", "event_date", "rule_family", "row")
VILLAGE_FORMATS = {KIND_EXCEPTIONS: FORMAT_VERSION, KIND_NO_EXCEPTIONS: FORMAT_VERSION}
_HEADER_SEARCH_ROWS = 10  # the header is row 3 as written; allow a few inserted rows
VILLAGE_ROWS = IssuedRows(CASE_ID_HEADER, ID_HEADER, NAME_HEADER, (RESULT_HEADER,), f"填写了{RESULT_HEADER}，但没有{CASE_ID_HEADER}")


@dataclass
class ReturnedSheet:
    """One returned village workbook.  `decisions` has DECISION_COLUMNS, one row per
    case whose 核实结果 was filled in; `masked_id` is the ID cell as it reads in the
    sheet (masked unless the workbook was written with mask_ids=False).  A duplicate
    listing answered 停发此处/保留此处 is result 属实 with that `choice`."""
    township: str
    village: str
    month: str
    file_sha256: str
    decisions: pd.DataFrame
    kind: str = KIND_EXCEPTIONS  # KIND_NO_EXCEPTIONS for a signed 无异常确认表
    remarks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(DECISION_COLUMNS)))
    """Rows with a 备注 but no 核实结果 (same columns, result empty)."""
    recoveries: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RECOVERY_COLUMNS)))
    """已追回金额 (and 追回日期) filled in on rows issued with those columns."""
    issued: tuple[str, ...] = ()
    """Every case_id the sheet was issued with (sealed in _meta)."""


@dataclass
class _Meta:
    values: dict[str, str]
    cases: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # case_id → (family, sha, money)


def read_returned_workbook(path: Path, *, expected_month: str, passwords: dict[str, str] | None = None) -> ReturnedSheet:
    """Read one returned workbook; raise ReturnError if any part of it cannot be used."""
    return read_sheet(open_returned(path, expected_month=expected_month, formats=VILLAGE_FORMATS,
                                    passwords=passwords))


def read_sheet(returned: ReturnedFile) -> ReturnedSheet:
    """The answers of a village workbook whose envelope passed (open_returned)."""
    meta = _Meta(values=returned.values)
    for row in returned.rows:
        if row[0] == "case" and len(row) >= 4:
            meta.cases[row[1]] = (row[2], row[3], row[4] if len(row) > 4 else "0")
    decisions = pd.DataFrame(columns=list(DECISION_COLUMNS))
    recoveries = pd.DataFrame(columns=list(RECOVERY_COLUMNS))
    if returned.kind == KIND_EXCEPTIONS:
        check_row_count(returned, len(meta.cases))
        decisions, recoveries = _read_decisions(returned.path, returned.workbook, meta)
    answered = decisions["result"].notna()
    return ReturnedSheet(
        township=returned.township,
        village=returned.village,
        month=returned.values["month"],
        file_sha256=returned.sha256,
        decisions=decisions[answered].reset_index(drop=True),
        kind=returned.kind,
        remarks=decisions[~answered].reset_index(drop=True),
        recoveries=recoveries,
        issued=tuple(meta.cases),
    )


def _read_decisions(path: Path, wb: Workbook, meta: _Meta) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answered and remark-only rows (DECISION_COLUMNS), and 已追回金额 entries (RECOVERY_COLUMNS)."""
    problems: list[str] = []
    decisions: list[dict[str, Any]] = []
    recoveries: list[dict[str, Any]] = []
    fingerprints = {case_id: sealed[1] for case_id, sealed in meta.cases.items()}
    seen: dict[str, str] = {}  # case_id → where it was first seen, on any sheet
    for family in RULE_FAMILIES:
        if family not in wb.sheetnames:
            continue
        ws = wb[family]
        columns = find_columns(ws)
        if columns is None:
            problems.append(f"“{family}”表的表头被改动，找不到核查编号、姓名、身份证号、核实结果或备注列")
            continue
        header_row, col = columns
        money = find_columns(ws, (CASE_ID_HEADER, RECOVERED_HEADER, RECOVERED_DATE_HEADER))
        rows = issued_rows(ws, header_row, col, VILLAGE_ROWS, fingerprints, lambda row: f"“{family}”表第{row}行",
                           problems, issued_here=lambda case_id: meta.cases[case_id][0] == family,
                           moved="下发时不在本表（请勿在表之间移动行）", seen=seen)
        for issued in rows:
            decision = _read_answer(ws, family, issued, col, problems)
            if decision:
                decisions.append(decision)
            if money:
                recovery = _read_recovery(ws, family, issued.row, issued.key, money[1], meta, problems)
                if recovery:
                    recoveries.append(recovery)
    if problems:
        raise ReturnError(path, problems)
    return (pd.DataFrame(decisions, columns=list(DECISION_COLUMNS)).astype({"row": "int64"}),
            pd.DataFrame(recoveries, columns=list(RECOVERY_COLUMNS)))


def _read_recovery(ws: Worksheet, family: str, row: int, case_id: str, col: dict[str, int], meta: _Meta,
                   problems: list[str]) -> dict[str, Any] | None:
    """已追回金额/追回日期 of a checked row, or None when the amount is blank.  Only a row
    issued with those columns (a case with a recovery entry, sealed in _meta) may carry one;
    the balance is checked when it is recorded (flows/cases/decisions.py)."""
    where = f"“{family}”表第{row}行（核查编号{case_id}）"
    amount = cell_text(ws.cell(row, col[RECOVERED_HEADER]).value).removesuffix("元").replace(",", "")
    if not amount:
        return None
    if meta.cases[case_id][2] != "1":
        problems.append(f"{where}下发时没有应追缴余额，不能填写已追回金额")
        return None
    try:
        value = round(float(amount), 2)
    except ValueError:
        problems.append(f"{where}的已追回金额不是数字")
        return None
    if value <= 0:
        problems.append(f"{where}的已追回金额应大于0")
        return None
    raw_date = ws.cell(row, col[RECOVERED_DATE_HEADER]).value
    on = raw_date.date() if hasattr(raw_date, "date") else parse_date(raw_date)
    if cell_text(raw_date) and on is None:
        problems.append(f"{where}的追回日期无法识别")
        return None
    return {"case_id": case_id, "amount": value, "event_date": on, "rule_family": family, "row": row}


def _read_answer(ws: Worksheet, family: str, issued: IssuedRow, col: dict[str, int],
                 problems: list[str]) -> dict[str, Any] | None:
    """The decision of a row as issued (returned_file.issued_rows), when 核实结果 is filled in
    and is one of the sheet's own choices."""
    row, case_id, shown_id = issued.row, issued.key, issued.shown_id
    where = f"“{family}”表第{row}行"
    result = cell_text(ws.cell(row, col[RESULT_HEADER]).value)
    remark = cell_text(ws.cell(row, col[REMARK_HEADER]).value) or None
    if remark is not None and len(remark) > MAX_CELL_CHARS:
        problems.append(f"{where}（核查编号{case_id}）的备注超过{MAX_CELL_CHARS}字，请精简")
        return None
    if not result:
        # A remark without a result (此人已于3月去世) is not a decision, but it must not be lost.
        return None if remark is None else {"case_id": case_id, "rule_family": family, "row": row,
                                            "masked_id": shown_id, "result": None, "choice": None,
                                            "remark": remark}
    choices = result_choices(family)
    if result not in choices:
        problems.append(f"{where}（核查编号{case_id}）的核实结果不是{'、'.join(f'“{c}”' for c in choices)}之一")
        return None
    choice = result if result in DUPLICATE_CHOICES else None
    return {
        "case_id": case_id,
        "rule_family": family,
        "row": row,
        "masked_id": shown_id,
        "result": "属实" if choice else result,
        "choice": choice,
        "remark": remark,
    }


_WANTED = (CASE_ID_HEADER, NAME_HEADER, ID_HEADER, RESULT_HEADER, REMARK_HEADER)


def find_columns(ws: Worksheet, wanted: tuple[str, ...] = _WANTED) -> tuple[int, dict[str, int]] | None:
    """The header row (found by its names, so inserted rows above it do no harm)
    and the column number of each header we read."""
    for row in range(1, min(ws.max_row, _HEADER_SEARCH_ROWS) + 1):
        headers = {cell_text(ws.cell(row, c).value): c for c in range(1, ws.max_column + 1)}
        if all(name in headers for name in wanted):
            return row, {name: headers[name] for name in wanted}
    return None
