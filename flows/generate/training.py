"""Training: fill a month's village sheets the way villages return them (`dibao demo --fill`).

A new clerk rehearses `dibao returns` → `dibao actions` → the next month on the sample
township.  The sheets are filled as villages do it: most findings 属实, some 不属实 with a
reason, a few 已处理, one remark without a result (待补核实结果), and one village that has
not returned its sheet.  Only the input cells (核实结果, 备注) are written, with the
choices each sheet's own drop-down offers, so the hidden `_meta` checks still pass.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from flows.reports.workbooks import DUPLICATE_CHOICES

RESULT_HEADER, REMARK_HEADER = "核实结果", "备注"
# How often a village gives each answer, by the answer's position in the drop-down
# (属实 | 不属实 | 已处理; 重复享受 is answered per listing, see _listing_choice).
REMARKS = {"属实": "经入户核实，情况属实", "不属实": "经入户核实，与实际情况不符", "已处理": "已按规定处理",
           "保留此处": "在本村居住，保留此处", "停发此处": "已在他处享受，此处停发"}
PENDING_REMARK = "家属外出务工，暂未联系上，下周再去核实"


@dataclass
class Filled:
    files: list[Path] = field(default_factory=list)      # returned sheets written
    not_returned: list[str] = field(default_factory=list)  # village sheets left unreturned
    answers: dict[str, int] = field(default_factory=dict)  # 核实结果 -> rows
    pending: list[str] = field(default_factory=list)      # 核查编号 with a remark only
    confirmed_deaths: list[str] = field(default_factory=list)  # 核查编号 of 死亡仍在保 answered 属实, lowest first


def fill_returns(villages: Path, out: Path, seed: int) -> Filled:
    """Fill every 异常核实表 in `villages` but one, writing the filled copies into `out`.
    The first 死亡仍在保 of the township (lowest 核查编号) is always confirmed and its sheet
    returned, so the rehearsal has a death to stop and money to recover."""
    rng = np.random.default_rng(seed)
    books = {path: load_workbook(path) for path in sorted(villages.glob("*_异常核实表_*.xlsx"))}
    filled = Filled()
    if not books:
        return filled
    deaths = {path: _death_cases(book) for path, book in books.items()}
    first_death = min((case for cases in deaths.values() for case in cases), default=None)
    skippable = [path for path in books if first_death not in deaths[path]]
    skipped = skippable[int(rng.integers(len(skippable)))] if skippable else None
    if skipped is not None:
        filled.not_returned.append(skipped.name)
    out.mkdir(parents=True, exist_ok=True)
    for path, workbook in books.items():
        if path == skipped:
            continue
        for ws in workbook.worksheets:
            for validation in ws.data_validations.dataValidation:
                _answer(ws, validation, rng, filled, first_death)
        workbook.save(out / path.name)
        filled.files.append(out / path.name)
    return filled


def _columns(ws, validation) -> tuple[dict, int, int, int] | None:
    """(header name -> column, result column, first row, last row) of one 核实结果 drop-down."""
    min_col, min_row, _, max_row = range_boundaries(str(validation.sqref).split()[0])
    header = {ws.cell(min_row - 1, c).value: c for c in range(1, ws.max_column + 1)}
    if header.get(RESULT_HEADER) != min_col or REMARK_HEADER not in header or "核查编号" not in header:
        return None
    return header, min_col, min_row, max_row


def _death_cases(workbook) -> list[str]:
    cases = []
    for ws in workbook.worksheets:
        for validation in ws.data_validations.dataValidation:
            found = _columns(ws, validation)
            if found and "疑点类型" in found[0]:
                header, _, first, last = found
                cases += [str(ws.cell(row, header["核查编号"]).value) for row in range(first, last + 1)
                          if ws.cell(row, header["疑点类型"]).value == "死亡仍在保"]
    return cases


def _listing_choice(ws, row: int, header: dict) -> str:
    """保留此处 on the person's first listing as 疑点说明 names them, 停发此处 on the others — as a
    village that checked where the person really lives would (never both stopped)."""
    detail = str(ws.cell(row, header["疑点说明"]).value or "") if "疑点说明" in header else ""
    household = str(ws.cell(row, header["户编号"]).value or "") if "户编号" in header else ""
    first = re.search(r"户编号([^（、，；]+)（", detail)
    keep = first is not None and first.group(1) == household
    return DUPLICATE_CHOICES[1] if keep else DUPLICATE_CHOICES[0]


def _answer(ws, validation, rng: np.random.Generator, filled: Filled, first_death: str | None) -> None:
    """Answer the rows one 核实结果 drop-down covers, with the choices it offers."""
    choices = [c.strip() for c in (validation.formula1 or "").strip('"').split(",") if c.strip()]
    found = _columns(ws, validation)
    if not choices or found is None:
        return
    header, result_col, first, last = found
    weights = np.array([0.75, 0.17, 0.08, 0.05][:len(choices)])
    for row in range(first, last + 1):
        case_id = ws.cell(row, header["核查编号"]).value
        if not case_id:
            continue
        if not filled.pending and str(case_id) != first_death:   # one remark without a result
            ws.cell(row, header[REMARK_HEADER]).value = PENDING_REMARK
            filled.pending.append(str(case_id))
            continue
        if DUPLICATE_CHOICES[0] in choices:   # 重复享受: a village keeps one listing of the person
            answer = _listing_choice(ws, row, header)
        else:
            answer = (choices[0] if str(case_id) == first_death
                      else choices[int(rng.choice(len(choices), p=weights / weights.sum()))])
        ws.cell(row, result_col).value = answer
        if answer != choices[0] or rng.random() < 0.3:
            ws.cell(row, header[REMARK_HEADER]).value = REMARKS.get(answer, "")
        filled.answers[answer] = filled.answers.get(answer, 0) + 1
        if answer == "属实" and "疑点类型" in header and ws.cell(row, header["疑点类型"]).value == "死亡仍在保":
            filled.confirmed_deaths.append(str(case_id))
