"""Reading village workbooks that come back with 核实结果 filled in (`dibao returns`).

A returned file is trusted only as far as it can be checked against what was sent:
its hidden `_meta` sheet says which township, village and month it belongs to,
lists every 核查编号 (case_id) it was issued with, and keeps for each row a sha256
of (核查编号, 身份证号 cell, 姓名 cell) exactly as written.  A row whose name or ID
was typed over no longer matches, so its answer cannot be pinned on anyone.

All or nothing: one problem anywhere in a file and no decision from it is used;
`ReturnError` lists every problem found, so the village can fix them in one go.
Messages name the file, sheet, row and case_id — never a person's name or ID,
since they are shown in logs and on screens.
"""
from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from flows.normalize.dates import parse_date
from flows.reports.excel_style import month_label, parse_month
from flows.reports.protection import decrypted, is_protected
from flows.reports.workbooks import (
    CASE_ID_HEADER, FORMAT_VERSION, ID_HEADER, KIND_EXCEPTIONS, KIND_NO_EXCEPTIONS,
    META_SHEET, NAME_HEADER, RECOVERED_DATE_HEADER, RECOVERED_HEADER, REMARK_HEADER, RESULT_CHOICES,
    RESULT_HEADER, RULE_FAMILIES,
    case_set_fingerprint, row_fingerprint,
)

DECISION_COLUMNS = ("case_id", "rule_family", "row", "masked_id", "result", "remark")
RECOVERY_COLUMNS = ("case_id", "amount", "event_date")
_HEADER_SEARCH_ROWS = 10  # the header is row 3 as written; allow a few inserted rows
_MAX_LISTED_PROBLEMS = 20


class ReturnError(Exception):
    """A returned workbook that cannot be used; the message is Chinese and names
    the file.  `problems` holds each problem on its own."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        listed = problems[:_MAX_LISTED_PROBLEMS]
        more = len(problems) - len(listed)
        text = "；".join(listed) + (f"；另有{more}处问题" if more > 0 else "")
        super().__init__(f"{self.path.name}：{text}")


@dataclass
class ReturnedSheet:
    """One returned village workbook.  `decisions` has DECISION_COLUMNS, one row per
    case whose 核实结果 was filled in; `masked_id` is the ID cell as it reads in the
    sheet (masked unless the workbook was written with mask_ids=False)."""
    township: str
    village: str
    month: str
    file_sha256: str
    decisions: pd.DataFrame
    kind: str = KIND_EXCEPTIONS  # KIND_NO_EXCEPTIONS for a signed 无异常确认表
    remarks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(DECISION_COLUMNS)))
    """Rows with a 备注 but no 核实结果 (same columns, result empty)."""
    recoveries: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RECOVERY_COLUMNS)))
    """已追回金额 (and 追回日期) filled in on rows that show a 应追缴余额."""


@dataclass
class _Meta:
    values: dict[str, str]
    cases: dict[str, tuple[str, str]] = field(default_factory=dict)  # case_id → (family, sha)


def read_returned_workbook(path: Path, *, expected_month: str, passwords: dict[str, str] | None = None) -> ReturnedSheet:
    """Read one returned workbook; raise ReturnError if any part of it cannot be used."""
    path = Path(path)
    parse_month(expected_month)
    try:
        content = path.read_bytes()
    except OSError:
        raise ReturnError(path, ["文件无法读取"]) from None
    wb = open_workbook(path, content, passwords)
    meta = _read_meta(path, wb, expected_month)
    decisions = pd.DataFrame(columns=list(DECISION_COLUMNS))
    recoveries = pd.DataFrame(columns=list(RECOVERY_COLUMNS))
    if meta.values["kind"] == KIND_EXCEPTIONS:
        decisions, recoveries = _read_decisions(path, wb, meta)
    answered = decisions["result"].notna()
    return ReturnedSheet(
        township=meta.values.get("township", ""),
        village=meta.values.get("village", ""),
        month=meta.values["month"],
        file_sha256=hashlib.sha256(content).hexdigest(),
        decisions=decisions[answered].reset_index(drop=True),
        kind=meta.values["kind"],
        remarks=decisions[~answered].reset_index(drop=True),
        recoveries=recoveries,
    )


def open_workbook(path: Path, content: bytes, passwords: dict[str, str] | None = None) -> Workbook:
    """The workbook in `content`; a password-protected one is opened with its village's password."""
    if is_protected(content):
        content = decrypted(path, content, passwords or {})
        if content is None:
            raise ReturnError(path, ["文件设有密码，但不是本乡镇下发的村（社区）密码能打开的，"
                                     "请使用下发时的密码保存后重新报送"])
    try:
        with warnings.catch_warnings():
            # "Data Validation extension is not supported" etc. after Excel/WPS saves.
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(content), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ReturnError(path, ["不是.xlsx格式或文件已损坏，请用Excel另存为.xlsx后重新报送"]) from None


def _read_meta(path: Path, wb: Workbook, expected_month: str) -> _Meta:
    if META_SHEET not in wb.sheetnames:
        raise ReturnError(path, ["不是本系统下发的核实表（缺少隐藏的_meta工作表），请使用镇民政办下发的原表填写"])
    meta = _Meta(values={})
    for row in wb[META_SHEET].iter_rows(values_only=True):
        key = cell_text(row[0]) if row else ""
        if key == "case" and len(row) >= 4:
            meta.cases[cell_text(row[1])] = (cell_text(row[2]), cell_text(row[3]))
        elif key:
            meta.values[key] = cell_text(row[1]) if len(row) > 1 else ""

    kind = meta.values.get("kind")
    if kind not in (KIND_EXCEPTIONS, KIND_NO_EXCEPTIONS):
        raise ReturnError(path, ["不是本系统下发的村级核实表"])
    if meta.values.get("format_version") != FORMAT_VERSION:
        raise ReturnError(path, [f"表格版本{meta.values.get('format_version')!r}无法识别，请使用本月下发的表"])
    month = meta.values.get("month", "")
    if month != expected_month:
        issued = month_label(month) if is_month(month) else "其他月份"
        raise ReturnError(path, [f"该表为{issued}的核实表，不是{month_label(expected_month)}"])
    if kind == KIND_EXCEPTIONS and meta.values.get("case_fingerprint") != case_set_fingerprint(meta.cases):
        raise ReturnError(path, ["隐藏的_meta工作表被改动，无法核对，请使用镇民政办下发的原表填写"])
    return meta


def _read_decisions(path: Path, wb: Workbook, meta: _Meta) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answered and remark-only rows (DECISION_COLUMNS), and 已追回金额 entries (RECOVERY_COLUMNS)."""
    problems: list[str] = []
    decisions: list[dict[str, Any]] = []
    recoveries: list[dict[str, Any]] = []
    seen: dict[str, str] = {}  # case_id → where it was first seen
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
        for row in range(header_row + 1, ws.max_row + 1):
            decision = _read_row(ws, family, row, col, meta, seen, problems)
            if decision:
                decisions.append(decision)
            case_id = cell_text(ws.cell(row, col[CASE_ID_HEADER]).value)
            if money and case_id in meta.cases:   # a row with other problems makes the file fail anyway
                recovery = _read_recovery(ws, family, row, case_id, money[1], problems)
                if recovery:
                    recoveries.append(recovery)
    if problems:
        raise ReturnError(path, problems)
    return (pd.DataFrame(decisions, columns=list(DECISION_COLUMNS)).astype({"row": "int64"}),
            pd.DataFrame(recoveries, columns=list(RECOVERY_COLUMNS)))


def _read_recovery(ws: Worksheet, family: str, row: int, case_id: str, col: dict[str, int],
                   problems: list[str]) -> dict[str, Any] | None:
    """已追回金额/追回日期 of a checked row, or None when the amount is blank."""
    where = f"“{family}”表第{row}行（核查编号{case_id}）"
    amount = cell_text(ws.cell(row, col[RECOVERED_HEADER]).value).removesuffix("元").replace(",", "")
    if not amount:
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
    return {"case_id": case_id, "amount": value, "event_date": on}


def _read_row(ws: Worksheet, family: str, row: int, col: dict[str, int], meta: _Meta,
              seen: dict[str, str], problems: list[str]) -> dict[str, Any] | None:
    """Check one data row; return its decision when 核实结果 is filled in and the row is sound."""
    where = f"“{family}”表第{row}行"
    case_id = cell_text(ws.cell(row, col[CASE_ID_HEADER]).value)
    result = cell_text(ws.cell(row, col[RESULT_HEADER]).value)
    if not case_id:
        if result:  # an answer nobody can be matched to (the 合计 and 签字 rows stay blank)
            problems.append(f"{where}填写了核实结果，但没有核查编号")
        return None
    if case_id not in meta.cases:
        # The value is not repeated: a village might have typed a name there.
        problems.append(f"{where}的核查编号不是本表下发时的编号（请勿新增或复制行）")
        return None
    if case_id in seen:
        problems.append(f"{where}的核查编号{case_id}与{seen[case_id]}重复")
        return None
    seen[case_id] = where

    shown_id = cell_text(ws.cell(row, col[ID_HEADER]).value)
    name = cell_text(ws.cell(row, col[NAME_HEADER]).value)
    if row_fingerprint(case_id, shown_id, name) != meta.cases[case_id][1]:
        problems.append(f"{where}（核查编号{case_id}）的姓名或身份证号与下发时不一致，请勿修改这两列")
        return None
    remark = cell_text(ws.cell(row, col[REMARK_HEADER]).value) or None
    if not result:
        # A remark without a result (此人已于3月去世) is not a decision, but it must not be lost.
        return None if remark is None else {"case_id": case_id, "rule_family": family, "row": row,
                                            "masked_id": shown_id, "result": None, "remark": remark}
    if result not in RESULT_CHOICES:
        problems.append(f"{where}（核查编号{case_id}）的核实结果不是“属实”“不属实”“已处理”之一")
        return None
    return {
        "case_id": case_id,
        "rule_family": family,
        "row": row,
        "masked_id": shown_id,
        "result": result,
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


def cell_text(value: Any) -> str:
    """A cell as stripped text ('' when empty); full-width spaces count as spaces."""
    if value is None:
        return ""
    return str(value).replace("\u3000", " ").strip()


def is_month(text: str) -> bool:
    try:
        parse_month(text)
    except ValueError:
        return False
    return True
