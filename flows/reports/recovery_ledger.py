"""The township 追缴台账: every recovery entry with what was overpaid before and after the
confirmation, what was recovered or written off, the balance, and its history."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from flows.reports.excel_style import month_label, safe_file_part, text_or_none
from flows.reports.office_lists import write_table
from flows.reports.workbooks import frame_records
from flows.reports.xlsx_writer import Book

RECOVERY_COLUMNS = ("序号", "核查编号", "村（社区）", "户编号", "姓名", "月发放金额（元）", "核实月份",
                    "核实前多发月数", "核实前多发金额（元）", "核实后仍发放月数", "核实后多发金额（元）",
                    "已追回（元）", "已核销（元）", "未追回余额（元）", "追缴记录")
_TOTALLED = ("核实前多发金额（元）", "核实后多发金额（元）", "已追回（元）", "已核销（元）", "未追回余额（元）")


def recovery_ledger_name(township: str, month: str) -> str:
    return f"{safe_file_part(township)}_追缴台账_{month}.xlsx"


def write_recovery_ledgers(entries: pd.DataFrame, out_dir: Path, month: str, *,
                           reporting_unit: str = "{township}民政和社会事务办") -> list[Path]:
    """One 追缴台账 per township with recovery entries, with a 合计 row; the note line names
    the 填报单位 and the month the balances stand at."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for township, group in entries.groupby("township", sort=True):
        rows = [ledger_row(r) for r in frame_records(group)]
        wb = Book()
        totals = {c: round(sum(r[c] for r in rows), 2) for c in _TOTALLED}
        write_table(wb.add_sheet("追缴台账"), f"{township}{month_label(month)}低保特困多发资金追缴台账",
                    f"填报单位：{reporting_unit.format(township=township)}　截至{month_label(month)}："
                    f"共{len(rows)}户，应追缴{totals['核实前多发金额（元）'] + totals['核实后多发金额（元）']:.2f}元"
                    f"（其中核实后仍发放{totals['核实后多发金额（元）']:.2f}元），已追回{totals['已追回（元）']:.2f}元，"
                    f"已核销{totals['已核销（元）']:.2f}元，未追回余额{totals['未追回余额（元）']:.2f}元",
                    RECOVERY_COLUMNS, rows, totals=totals)
        path = out_dir / recovery_ledger_name(township, month)
        wb.save(path)
        written.append(path)
    return written


def ledger_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "核查编号": r["case_id"], "村（社区）": r["village"], "户编号": r["household_id"], "姓名": r["name"],
        "月发放金额（元）": _money(r["monthly_amount"]), "核实月份": month_label(r["confirmed_month"]),
        "核实前多发月数": int(r["months_before"]), "核实前多发金额（元）": _money(r["amount_before"]),
        "核实后仍发放月数": int(r["months_after"]), "核实后多发金额（元）": _money(r["amount_after"]),
        "已追回（元）": _money(r["recovered"]), "已核销（元）": _money(r["written_off"]),
        "未追回余额（元）": _money(r["balance"]), "追缴记录": text_or_none(r["history"]),
    }


def _money(value: Any) -> float:
    return 0.0 if text_or_none(value) is None else round(float(value), 2)
