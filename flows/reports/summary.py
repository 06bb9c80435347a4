"""Township summaries (SPEC §5 `summary/`): the notice's 附件4 城乡低保摸排处理汇总表
and the month's exceptions counted by village and rule.

One workbook per township, `{乡镇}_城乡低保摸排处理汇总表_{YYYY-MM}.xlsx`, with three
sheets: `附件4` in the notice's layout (two-row header with merged group cells),
to be stamped and sent up; `分村统计` for the township's own follow-up; `数据源检查`, the
month's source-health warnings the figures rest on.  A city
writes ≈ 380 of them, through xlsx_writer (openpyxl took ≈ 18 s of its report step).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from flows.reports.excel_style import (
    AMOUNT_FORMAT, BODY_FONT, HEADER_FILL, HEADER_FONT, RIGHT, WRAP_CENTER, WRAP_LEFT,
    date_label, header_lines, header_width, month_label, safe_file_part, text_or_none,
)
from flows.reports.workbooks import RULE_NAMES
from flows.reports.xlsx_writer import Book, Sheet

ANNEX_SHEET = "附件4"
BY_VILLAGE_SHEET = "分村统计"
ANNEX_TITLE = "城乡低保摸排处理汇总表"

# 附件4 columns: (stats column, sub-header, width, number format).  The two-row
# header groups B:D under 基本情况 and E:G under 摸排处理情况; A and H span both rows.
ANNEX_COLUMNS = (   # a column is at least as wide as its header's longest line (header_lines)
    ("township", "乡镇", 14, None),
    ("households", "低保户数", 11, "0"),
    ("persons", "低保人数", 11, "0"),
    ("poverty_households", "其中建卡贫困户兜底户数", 14, "0"),
    ("adjust_amount", "拟调整补差金额（元）", 14, AMOUNT_FORMAT),
    ("include_households", "拟整户纳入（户）", 12, "0"),
    ("complete_info", "拟完善资料（人）", 12, "0"),
    ("remark", "备注", 40, None),
)
ANNEX_GROUPS = (("基本情况", 2, 4), ("摸排处理情况", 5, 7))  # (text, first col, last col)
ANNEX_HEADER_ROWS = (3, 4)
STATS_COLUMNS = ("township", "households", "persons", "poverty_households", "adjust_amount",
                 "include_households", "complete_info", "overpaid_total", "remark")
COUNTS_COLUMNS = ("township", "village", "rule", "n", "amount_overpaid")
CONFIRMED_HEADER = "多发金额（已确认）（元）"
SUSPECTED_HEADER = "多发金额（疑似待核实）（元）"


def summary_workbook_name(township: str, month: str) -> str:
    return f"{safe_file_part(township)}_{ANNEX_TITLE}_{month}.xlsx"


def write_township_summary(stats: pd.DataFrame, counts: pd.DataFrame, out_dir: Path,
                           month: str, *, filled_on: dt.date, warnings: list[str] | None = None,
                           reporting_unit: str = "{township}民政和社会事务办") -> list[Path]:
    """Write one summary workbook per township found in `stats` or `counts`; return
    the paths in township order.  `filled_on` is printed as the 制表日期 note; the
    填报时间 line stays blank for the township to date when it stamps the form.
    `warnings` (source health) go on a third sheet, so whoever signs the summary sees
    that a registry was stale or incomplete."""
    month_label(month)  # validates YYYY-MM
    _require_columns(stats, STATS_COLUMNS, "stats")
    _require_columns(counts, COUNTS_COLUMNS, "counts")
    unknown = sorted(set(counts["rule"].dropna()) - set(RULE_NAMES))
    if unknown:
        raise ValueError(f"unknown rule codes in counts: {', '.join(unknown)}")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    townships = sorted(set(stats["township"].dropna()) | set(counts["township"].dropna()))
    # Both frames split by township once: a city's 380 selections and pivots cost more than its workbooks.
    stats_by_township: dict[str, list[dict[str, Any]]] = {}
    for record in stats.to_dict("records"):
        stats_by_township.setdefault(record["township"], []).append(record)
    tables = _village_rule_tables(counts, townships)
    paths = []
    for township in townships:
        book = Book(title=f"{township}{month_label(month)}{ANNEX_TITLE}")
        township_stats = stats_by_township.get(township) or [{"township": township}]
        write_annex_sheet(book.add_sheet(ANNEX_SHEET), township_stats, filled_on=filled_on, month=month,
                          unit=reporting_unit.format(township=township))
        write_village_counts_sheet(book.add_sheet(BY_VILLAGE_SHEET), township,
                                   tables[township], month, filled_on=filled_on)
        write_warnings_sheet(book.add_sheet(WARNINGS_SHEET), month, warnings or [])
        path = out_dir / summary_workbook_name(township, month)
        book.save(path)
        paths.append(path)
    return paths


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], label: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{label} is missing columns: {', '.join(missing)}")


# --- 附件4 --------------------------------------------------------------------

WARNINGS_SHEET = "数据源检查"


def write_warnings_sheet(ws: Sheet, month: str, warnings: list[str]) -> None:
    """The month's source-health warnings, or a line saying there were none."""
    ws.widths.update({1: 6, 2: 100})
    ws.write_title(1, 2, f"{month_label(month)}数据源检查结果")
    lines = warnings or ["本月各数据源检查未发现问题。"]
    if warnings:
        ws.merge_text(2, 1, 2, "以下提示不影响比对结果的生成，但说明部分数据可能不完整，请核实后再据此停发或调整：")
    for number, text in enumerate(lines, start=3):
        ws.write(number, 1, number - 2 if warnings else None, alignment=WRAP_CENTER)
        ws.write(number, 2, text, alignment=WRAP_LEFT)
    ws.fit_row_heights(2, len(lines) + 2, 2)
    ws.print_setup(n_columns=2, last_row=len(lines) + 2, title_rows="1:1")


def write_annex_sheet(ws: Sheet, rows: list[dict[str, Any]], *, filled_on: dt.date,
                      place_header: str = "乡镇", always_total: bool = False,
                      month: str | None = None, unit: str | None = None) -> int:
    """附件4 for the given township rows (one per township); a 合计 row when more
    than one (or always), so the same sheet serves a county or city roll-up, whose
    first column (`place_header`) names 乡镇（街道） or 区县.  The 填报单位 line names
    `unit` (stamped beside it) and the month the figures are for.  Returns the last
    row written (the 注 line), for a roll-up's note below it."""
    n_columns = len(ANNEX_COLUMNS)
    ws.write_title(1, n_columns, ANNEX_TITLE)
    ws.merge_text(2, 1, n_columns, f"填报单位：{unit or ''}（盖章）　　　　"
                                   + (f"统计月份：{month_label(month)}　　　　" if month else "")
                                   + "填报时间：　　　　年　　月　　日")
    _write_annex_header(ws, place_header)

    row = ANNEX_HEADER_ROWS[1] + 1
    for stats_row in rows:
        _write_annex_row(ws, row, {key: stats_row.get(key) for key, *_ in ANNEX_COLUMNS},
                         overpaid_total=stats_row.get("overpaid_total"),
                         overpaid_suspected=stats_row.get("overpaid_suspected"))
        row += 1
    if len(rows) > 1 or always_total:
        totals = {key: _sum(r.get(key) for r in rows) for key, *_ in ANNEX_COLUMNS[1:-1]}
        _write_annex_row(ws, row, {"township": "合计", **totals, "remark": None},
                         overpaid_total=_sum(r.get("overpaid_total") for r in rows),
                         overpaid_suspected=_sum(r.get("overpaid_suspected") for r in rows), bold=True)
        row += 1
    ws.merge_text(row + 1, 1, n_columns,
                  f"注：本表由系统生成（制表日期：{date_label(filled_on)}），请核对无误后盖章报送。")

    for col, (_, sub_header, width, _) in enumerate(ANNEX_COLUMNS, start=1):
        ws.widths[col] = max(width, header_width(header_lines(sub_header)))
    ws.fit_row_heights(ANNEX_HEADER_ROWS[1] + 1, row - 1, n_columns)
    ws.freeze_row, ws.freeze_column = ANNEX_HEADER_ROWS[1] + 1, 2   # 乡镇 stays in view
    ws.print_setup(n_columns=n_columns, last_row=row + 1, title_rows=f"1:{ANNEX_HEADER_ROWS[1]}")
    return row + 1


def _write_annex_header(ws: Sheet, place_header: str) -> None:
    """Two header rows: every cell bordered first, then merged, so the merged
    boxes keep their outlines; then every cell filled, those under a merge too."""
    top, bottom = ANNEX_HEADER_ROWS
    for row in (top, bottom):
        ws.write_header_row(row, [""] * len(ANNEX_COLUMNS))
    for col, (_, sub_header, _, _) in enumerate(ANNEX_COLUMNS, start=1):
        grouped = any(first <= col <= last for _, first, last in ANNEX_GROUPS)
        if grouped:
            ws.write(bottom, col, header_lines(sub_header), font=HEADER_FONT, alignment=WRAP_CENTER)
        else:  # 乡镇 and 备注 span both header rows
            ws.write(top, col, place_header if col == 1 else sub_header, font=HEADER_FONT, alignment=WRAP_CENTER)
            ws.merge(top, col, col, last_row=bottom)
    for text, first, last in ANNEX_GROUPS:
        ws.write(top, first, text, font=HEADER_FONT, alignment=WRAP_CENTER)
        ws.merge(top, first, last)
    for row in (top, bottom):
        for col in range(1, len(ANNEX_COLUMNS) + 1):
            ws.set_fill(row, col, HEADER_FILL)
    ws.heights[bottom] = 45


def _write_annex_row(ws: Sheet, row: int, values: dict[str, Any], *,
                     overpaid_total: Any, overpaid_suspected: Any = None, bold: bool = False) -> None:
    values = dict(values)
    values["remark"] = _annex_remark(values.get("remark"), overpaid_total, overpaid_suspected)
    for col, (key, _, _, number_format) in enumerate(ANNEX_COLUMNS, start=1):
        value = text_or_none(values[key]) if number_format is None else _number(values[key])
        ws.write(row, col, value, font=HEADER_FONT if bold else BODY_FONT,
                 alignment=WRAP_LEFT if key == "remark" else WRAP_CENTER, number_format=number_format)


def _annex_remark(remark: Any, overpaid_total: Any, overpaid_suspected: Any = None) -> str | None:
    """备注, with the month's overpaid money named: 附件4 has no column for it, and
    the county needs it to follow up recovery.  Confirmed and suspected (疑似, 待核实)
    amounts are stated apart, as in 分村统计."""
    parts = [text_or_none(remark)]
    total, suspected = _number(overpaid_total), _number(overpaid_suspected)
    if total:
        parts.append(f"核查发现多发资金{total:,.2f}元（已确认死亡）")
    if suspected:
        parts.append(f"另疑似死亡待核实涉及{suspected:,.2f}元（未计入）")
    return "；".join(p for p in parts if p) or None


# --- 分村统计 ------------------------------------------------------------------

def write_village_counts_sheet(ws: Sheet, township: str, table: pd.DataFrame,
                               month: str, *, filled_on: dt.date) -> None:
    """Villages × rules (every rule, in SPEC order, so months line up), with row
    and column totals and the money overpaid per village; `table` is the township's
    from _village_rule_tables."""
    headers = ["序号", "村（社区）", *RULE_NAMES.values(), "合计", CONFIRMED_HEADER, SUSPECTED_HEADER]
    n_columns = len(headers)
    ws.write_title(1, n_columns, f"{township}{month_label(month)}数据比对异常分村统计表")
    ws.merge_text(2, 1, n_columns // 2, f"制表日期：{date_label(filled_on)}　不含村（社区）核实为不属实的疑点")
    ws.merge_text(2, n_columns // 2 + 1, n_columns, "单位：条、元", alignment=RIGHT)
    ws.write_header_row(3, [header_lines(h) for h in headers])

    row = 4
    for number, (village, *line) in enumerate(table.itertuples(name=None), start=1):
        _write_count_row(ws, row, number, village, line)
        row += 1
    _write_count_row(ws, row, None, "合计", list(table.sum()), bold=True)

    widths = {1: 6, 2: 16}
    for col, header in enumerate(headers, start=1):
        ws.widths[col] = max(widths.get(col, 8), header_width(header_lines(header)))
    ws.heights[3] = 15 * max(header_lines(h).count("\n") + 1 for h in headers) + 6
    ws.freeze_row, ws.freeze_column = 4, 3   # 序号 and 村（社区） stay in view
    ws.print_setup(n_columns=n_columns, last_row=row, title_rows="1:3")


def _village_rule_tables(counts: pd.DataFrame, townships: list[str]) -> dict[str, pd.DataFrame]:
    """Per township, one row per village: a count column per rule, then the total and the
    confirmed and suspected amounts (empty for a township without counts)."""
    rules = list(RULE_NAMES)
    counts = counts[counts["township"].notna()]
    frame = counts.assign(
        village=[text_or_none(v) or "未填村（社区）" for v in counts["village"]],
        n=pd.to_numeric(counts["n"], errors="coerce").fillna(0).astype("int64"),
        amount_overpaid=pd.to_numeric(counts["amount_overpaid"], errors="coerce").fillna(0.0),
    )
    places = ["township", "village"]
    table = frame.pivot_table(index=places, columns="rule", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=rules, fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    if "amount_suspected" not in frame:   # counts without the split: a 疑似 amount is suspected
        suspect = frame["rule"].eq("DECEASED_SUSPECT")
        frame["amount_suspected"] = frame["amount_overpaid"].where(suspect, 0.0)
        frame["amount_confirmed"] = frame["amount_overpaid"].where(~suspect, 0.0)
    for column in ("amount_confirmed", "amount_suspected"):
        amounts = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
        table[column] = amounts.groupby([frame[p] for p in places]).sum().reindex(table.index).fillna(0.0)
    table = table.sort_index()
    parts = {township: part.droplevel("township") for township, part in table.groupby(level="township")}
    empty = table.iloc[:0].droplevel("township")
    return {township: parts.get(township, empty) for township in townships}


def _write_count_row(ws: Sheet, row: int, number: int | None, village: str, line: list, *,
                     bold: bool = False) -> None:
    """`line`: a table row's values, a count per rule, then total, confirmed and suspected amounts."""
    font = HEADER_FONT if bold else BODY_FONT
    *per_rule, total, confirmed, suspected = line
    values = [number, village, *(int(n) for n in per_rule), int(total),
              round(float(confirmed), 2), round(float(suspected), 2)]
    for col, value in enumerate(values, start=1):
        ws.write(row, col, value, font=font, alignment=WRAP_CENTER,
                 number_format=AMOUNT_FORMAT if col > len(values) - 2 else None)


# --- small helpers -----------------------------------------------------------

def _number(value: Any) -> int | float | None:
    """A count or amount from stats: blank stays blank (None is not 0)."""
    if text_or_none(value) is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def _sum(values) -> int | float | None:
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    return sum(numbers) if numbers else None
