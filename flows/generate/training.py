"""Training: fill a month's village sheets the way villages return them (`dibao demo --fill`).

A new clerk rehearses `dibao returns` → `dibao actions` → the next month on the sample
township.  The sheets are filled as villages do it: most findings 属实, some 不属实 with a
reason, a few 已处理, one remark without a result (待补核实结果), and one village that has
not returned its sheet.  Only the input cells (核实结果, 备注) are written, with the
choices each sheet's own drop-down offers, so the hidden `_meta` checks still pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

RESULT_HEADER, REMARK_HEADER = "核实结果", "备注"
# How often a village gives each answer, by the answer's position in the drop-down
# (属实 | 不属实 | 已处理, or 保留此处 | 停发此处 | 不属实 | 已处理 on 重复享受).
REMARKS = {"属实": "经入户核实，情况属实", "不属实": "经入户核实，与实际情况不符", "已处理": "已按规定处理",
           "保留此处": "在本村居住，保留此处", "停发此处": "已在他处享受，此处停发"}
PENDING_REMARK = "家属外出务工，暂未联系上，下周再去核实"


@dataclass
class Filled:
    files: list[Path] = field(default_factory=list)      # returned sheets written
    not_returned: list[str] = field(default_factory=list)  # village sheets left unreturned
    answers: dict[str, int] = field(default_factory=dict)  # 核实结果 -> rows
    pending: list[str] = field(default_factory=list)      # 核查编号 with a remark only
    confirmed_deaths: list[str] = field(default_factory=list)  # 核查编号 of 死亡仍在保 answered 属实


def fill_returns(villages: Path, out: Path, seed: int) -> Filled:
    """Fill every 异常核实表 in `villages` but one, writing the filled copies into `out`."""
    rng = np.random.default_rng(seed)
    sheets = sorted(villages.glob("*_异常核实表_*.xlsx"))
    filled = Filled()
    if not sheets:
        return filled
    skipped = sheets[int(rng.integers(len(sheets)))]
    filled.not_returned.append(skipped.name)
    out.mkdir(parents=True, exist_ok=True)
    for path in sheets:
        if path == skipped:
            continue
        workbook = load_workbook(path)
        for ws in workbook.worksheets:
            for validation in ws.data_validations.dataValidation:
                _answer(ws, validation, rng, filled)
        workbook.save(out / path.name)
        filled.files.append(out / path.name)
    return filled


def _answer(ws, validation, rng: np.random.Generator, filled: Filled) -> None:
    """Answer the rows one 核实结果 drop-down covers."""
    choices = [c.strip() for c in (validation.formula1 or "").strip('"').split(",") if c.strip()]
    if not choices:
        return
    min_col, min_row, max_col, max_row = range_boundaries(str(validation.sqref).split()[0])
    header = {ws.cell(min_row - 1, c).value: c for c in range(1, ws.max_column + 1)}
    if header.get(RESULT_HEADER) != min_col or REMARK_HEADER not in header:
        return
    case_col = next((c for name, c in header.items() if name == "核查编号"), None)
    kind_col = next((c for name, c in header.items() if name == "疑点类型"), None)
    weights = np.array([0.75, 0.17, 0.08, 0.05][:len(choices)])
    for row in range(min_row, max_row + 1):
        case_id = ws.cell(row, case_col).value if case_col else None
        if not case_id:
            continue
        if not filled.pending:      # one remark without a result, as happens every month
            ws.cell(row, header[REMARK_HEADER]).value = PENDING_REMARK
            filled.pending.append(str(case_id))
            continue
        answer = choices[int(rng.choice(len(choices), p=weights / weights.sum()))]
        ws.cell(row, min_col).value = answer
        if answer != choices[0] or rng.random() < 0.3:
            ws.cell(row, header[REMARK_HEADER]).value = REMARKS.get(answer, "")
        filled.answers[answer] = filled.answers.get(answer, 0) + 1
        if answer == "属实" and kind_col and ws.cell(row, kind_col).value == "死亡仍在保":
            filled.confirmed_deaths.append(str(case_id))
