"""Reading back a returned 附件1–3 ledger (`dibao returns`), written by `ledgers.py`.

Reading back is all or nothing, like `village_sheets.py`: one problem anywhere and
`ReturnError` lists them all, naming the file, sheet, row and 台账编号 — never a
person's name or ID.  Each row's answer is tied to its person by the hidden 台账编号
column, and the row's (台账编号, 身份证号码 cell, 姓名 cell) must still match the sha256
kept in the hidden `_meta` sheet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from flows.cases.returned_file import (
    MAX_CELL_CHARS, IssuedRow, IssuedRows, ReturnError, ReturnedFile, cell_text, check_row_count, issued_rows,
    open_returned,
)
from flows.reports.ledgers import (
    ANSWER_COLUMNS, ASSISTANCE_CHOICES, ASSISTANCE_HEADER, ID_HEADER, INCLUDE_CHOICES, INCLUDE_HEADER,
    KIND_POVERTY_LEDGER, LEDGER_FORMAT_VERSION, LEDGER_ID_HEADER, LEDGER_TITLES, NAME_HEADER, REASON_HEADER,
    SCOPE_VILLAGE, _WANTED,
)
from flows.cases.village_sheets import find_columns
from flows.reports.workbooks import META_SHEET

LEDGER_FORMATS = {KIND_POVERTY_LEDGER: LEDGER_FORMAT_VERSION}
_NOTE_ROWS = 20   # title, unit line, header and the 填表说明 under the table
LEDGER_ROWS = IssuedRows(LEDGER_ID_HEADER, ID_HEADER, NAME_HEADER, (INCLUDE_HEADER,),
                         f"填写了{INCLUDE_HEADER}，但没有{LEDGER_ID_HEADER}（请勿新增行）")


# --- reading a returned ledger -------------------------------------------------

@dataclass
class ReturnedLedger:
    """One returned village ledger.  `answers` has ANSWER_COLUMNS, one row per person
    whose 通过排查拟纳入救助 is filled in: include 是|否, reason (None when blank),
    current_assistance as the cell now reads (the village may have corrected it)."""
    township: str
    village: str
    household_type: str
    month: str
    file_sha256: str
    answers: pd.DataFrame


@dataclass
class _Meta:
    values: dict[str, str]
    ledgers: dict[str, str] = field(default_factory=dict)  # ledger_id → row sha256


def read_returned_ledger(path: Path, *, expected_month: str, passwords: dict[str, str] | None = None) -> ReturnedLedger:
    """Read one returned village ledger; raise ReturnError if any part of it cannot be used."""
    return read_ledger(open_returned(path, expected_month=expected_month, formats=LEDGER_FORMATS,
                                     passwords=passwords))


def read_ledger(returned: ReturnedFile) -> ReturnedLedger:
    """The answers of a village ledger whose envelope passed (open_returned)."""
    meta = _Meta(values=returned.values)
    for row in returned.rows:
        if row[0] == "ledger" and len(row) >= 3:
            meta.ledgers[row[1]] = row[2]
    if meta.values.get("scope") != SCOPE_VILLAGE or not meta.values.get("village"):
        raise ReturnError(returned.path, ["这是乡镇汇总台账，只接收各村（社区）报回的村级台账"])
    if meta.values.get("household_type") not in LEDGER_TITLES:
        raise ReturnError(returned.path, ["不是本系统下发的摸排台账（附件1–3）"])
    check_row_count(returned, len(meta.ledgers) + _NOTE_ROWS)
    answers = _read_answers(returned.path, returned.workbook, meta)
    return ReturnedLedger(
        township=returned.township,
        village=returned.village,
        household_type=meta.values["household_type"],
        month=meta.values["month"],
        file_sha256=returned.sha256,
        answers=answers,
    )


def _read_answers(path: Path, wb: Workbook, meta: _Meta) -> pd.DataFrame:
    found = _find_sheet(wb, meta.values.get("sheet", ""))
    if found is None:
        raise ReturnError(path, ["台账的表头被改动，找不到姓名、身份证号码、目前享受救助类型、"
                                 "通过排查拟纳入救助、未纳入原因或隐藏的台账编号列"])
    ws, header_row, col = found
    problems: list[str] = []
    answers: list[dict[str, Any]] = []
    for issued in issued_rows(ws, header_row, col, LEDGER_ROWS, meta.ledgers, lambda row: f"第{row}行", problems):
        answer = _read_answer(ws, issued, col, problems)
        if answer:
            answers.append(answer)
    if problems:
        raise ReturnError(path, problems)
    frame = pd.DataFrame(answers, columns=list(ANSWER_COLUMNS)).astype({"row": "int64"})
    for column in ("reason", "current_assistance"):  # blanks as None, not NaN
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _read_answer(ws: Worksheet, issued: IssuedRow, col: dict[str, int], problems: list[str]) -> dict[str, Any] | None:
    """The answer of a row as issued (returned_file.issued_rows), when 通过排查拟纳入救助 is
    filled in and sound."""
    row, ledger_id = issued.row, issued.key
    where = f"第{row}行"
    include = cell_text(ws.cell(row, col[INCLUDE_HEADER]).value)
    reason = cell_text(ws.cell(row, col[REASON_HEADER]).value)
    if not include:
        if reason:
            problems.append(f"{where}（台账编号{ledger_id}）填写了未纳入原因，但通过排查拟纳入救助未填“是”或“否”")
        return None
    if include not in INCLUDE_CHOICES:
        problems.append(f"{where}（台账编号{ledger_id}）的通过排查拟纳入救助应填“是”或“否”")
        return None
    if len(reason) > MAX_CELL_CHARS:
        problems.append(f"{where}（台账编号{ledger_id}）的未纳入原因超过{MAX_CELL_CHARS}字，请精简")
        return None
    if include == "否" and not reason:
        problems.append(f"{where}（台账编号{ledger_id}）填“否”的，须在未纳入原因中说明理由")
        return None
    assistance = cell_text(ws.cell(row, col[ASSISTANCE_HEADER]).value)
    if assistance and assistance not in ASSISTANCE_CHOICES:
        problems.append(f"{where}（台账编号{ledger_id}）的目前享受救助类型应为低保、特困、临时救助或无")
        return None
    return {
        "ledger_id": ledger_id,
        "row": row,
        "include": include,
        "reason": reason or None,
        "current_assistance": assistance or None,
    }


def _find_sheet(wb: Workbook, sheet_name: str) -> tuple[Worksheet, int, dict[str, int]] | None:
    """The ledger sheet (the one named in _meta, else the only one with our header),
    its header row and the column of each header we read."""
    found = {}
    for ws in wb.worksheets:
        if ws.title != META_SHEET:
            columns = find_columns(ws, _WANTED)
            if columns is not None:
                found[ws.title] = (ws, *columns)
    if sheet_name in found:
        return found[sheet_name]
    return next(iter(found.values())) if len(found) == 1 else None

