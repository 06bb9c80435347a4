"""Village verification workbooks (村级异常核实表), SPEC §5 `villages/`.

One workbook per village that has exceptions: a `说明` sheet in plain words for
the village head, one sheet per rule family with a 核实结果 drop-down and a 备注
column to fill in, and a hidden `_meta` sheet that lets `flows/cases/village_sheets.py` recognise the
file when it comes back and notice rows that were edited.  A village without
exceptions can get a one-page 无异常确认表 to sign instead.

Each workbook holds only its own village's people: the files travel by USB stick
and WeChat, so a village must never see another village's list.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.core.dtypes.cast import maybe_box_native

from flows.cases import seal
from flows.cases.seal import row_fingerprint
from flows.normalize.ids import mask_id
from flows.reports import parallel
from flows.rules import RULE_FAMILIES, RULES
from flows.reports.excel_style import (
    AMOUNT_FORMAT, BODY_FONT, BOLD_12, BOLD_14, DATE_FORMAT, HEADER_FONT, INPUT_FILL, RIGHT,
    TITLE_FONT, WRAP_CENTER, WRAP_LEFT, date_label, month_label, safe_file_part, text_or_none, unique_file_parts,
)
from flows.reports.xlsx_writer import Book, CellStyle, Sheet, printable_width_units

FORMAT_VERSION = "2"  # 2: _meta sealed with the office key (flows/cases/seal.py)
KIND_EXCEPTIONS = "village_exceptions"
KIND_NO_EXCEPTIONS = "village_no_exceptions"
META_SHEET = "_meta"
INSTRUCTIONS_SHEET = "说明"
NO_EXCEPTION_SHEET = "无异常确认"

RESULT_CHOICES = ("属实", "不属实", "已处理")
# A person listed twice keeps one listing: the village chooses per listing which one stops,
# so an answer can never stop every payment of the person (sql/cases/returns/duplicate_choices.sql).
DUPLICATE_FAMILY = "重复享受"
DUPLICATE_CHOICES = ("停发此处", "保留此处")


def result_choices(family: str) -> tuple[str, ...]:
    """The 核实结果 drop-down of a family's sheet."""
    return DUPLICATE_CHOICES + RESULT_CHOICES[1:] if family == DUPLICATE_FAMILY else RESULT_CHOICES
RESULT_HEADER = "核实结果"
REMARK_HEADER = "备注"
PREVIOUS_HEADER = "上次核实"
BALANCE_HEADER = "应追缴余额（元）"   # shown, with the two input columns after it, once a case has a recovery entry
RECOVERED_HEADER = "已追回金额"
RECOVERED_DATE_HEADER = "追回日期"
ESCALATION_HEADER = "督办"  # 已核实仍在发放 / 逾期未核实, with the earlier answer's month and source
CASE_ID_HEADER = "核查编号"
NAME_HEADER = "姓名"
ID_HEADER = "身份证号"
HEADER_ROW = 3  # title, 填报单位/时间 line, header
FIRST_DATA_ROW = HEADER_ROW + 1

# Chinese names, sheet families and guidance come from the rule catalogue, in SPEC order.
RULE_NAMES: dict[str, str] = {code: rule.name_zh for code, rule in RULES.items()}
FAMILY_OF_RULE = {rule: family for family, rules in RULE_FAMILIES.items() for rule in rules}
RULE_ORDER = {rule: i for i, rule in enumerate(FAMILY_OF_RULE)}

# Columns the village needs to check, per family (核实结果/备注/上次核实 are added).  A village's
# own sheet needs no village column; a death's months overpaid and the name on the death
# record are in 疑点说明 — so a sheet with every optional column still prints legibly.
FAMILY_COLUMNS: dict[str, tuple[str, ...]] = {
    "死亡疑点": ("序号", CASE_ID_HEADER, NAME_HEADER, "户主姓名", ID_HEADER, "疑点类型", "死亡日期", "死亡信息来源",
             "多发金额（元）", "疑点说明"),
    "身份信息": ("序号", CASE_ID_HEADER, NAME_HEADER, "户主姓名", ID_HEADER, "救助类型", "疑点类型", "户籍库姓名",
             "疑点说明"),
    "重复享受": ("序号", CASE_ID_HEADER, NAME_HEADER, "户编号", "户主姓名", ID_HEADER, "救助类型", "疑点类型",
             "疑点说明"),
    "家庭变动": ("序号", CASE_ID_HEADER, NAME_HEADER, "户编号", "户主姓名", ID_HEADER, "救助类型", "疑点类型",
             "疑点说明"),
    "应保未保": ("序号", CASE_ID_HEADER, NAME_HEADER, ID_HEADER, "疑点类型", "疑点说明"),
}
_INPUT_COLUMNS = {RESULT_HEADER, REMARK_HEADER, RECOVERED_HEADER, RECOVERED_DATE_HEADER}  # filled in by the village
_CENTERED = {"序号", CASE_ID_HEADER, ID_HEADER, "救助类型", "死亡日期", RESULT_HEADER}
_MIN_WIDTH = {"疑点说明": 30, ESCALATION_HEADER: 24, REMARK_HEADER: 20, RESULT_HEADER: 10, PREVIOUS_HEADER: 10}
# The column budget: what a column may be narrowed to (its text wraps, its header may wrap)
# when the sheet is wider than A4 landscape prints at PRINT_SCALE_FLOOR.  Columns not named
# keep their fitted width (IDs, dates and case numbers must not wrap).
_NARROWEST = {"户主姓名": 8, "疑点类型": 10, "死亡信息来源": 8, "多发金额（元）": 12, "疑点说明": 14,
              ESCALATION_HEADER: 10, BALANCE_HEADER: 12, RECOVERED_HEADER: 10, RECOVERED_DATE_HEADER: 10,
              REMARK_HEADER: 12, PREVIOUS_HEADER: 10, "户籍库姓名": 8, "户编号": 8, "救助类型": 8}
PRINT_SCALE_FLOOR = 0.75   # aimed at, so that the printed scale stays >= 70 % with rounding

REQUIRED_COLUMNS = (
    "rule", "severity", "township", "village", "household_id", "name", "id_number",
    "id_number_raw", "matched_source", "matched_name", "matched_id_number", "death_date",
    "score", "months_overpaid", "amount_overpaid", "detail",
    "case_id", "head_name", "benefit_type", "previous_result",
)
UNKNOWN_TOWNSHIP = "未填乡镇"
UNKNOWN_VILLAGE = "未填村（社区）"
PRIVACY_NOTE = "表内含个人信息，仅限核查使用，不得外传"


def case_set_fingerprint(case_ids: Iterable[str]) -> str:
    """sha256 of the workbook's case_ids, sorted: one value naming the whole list."""
    return hashlib.sha256("\n".join(sorted(case_ids)).encode("utf-8")).hexdigest()


def village_workbook_name(township: str, village: str, month: str, place_part: str | None = None) -> str:
    """`place_part` (from unique_file_parts) tells apart villages whose names a file name cannot."""
    return f"{place_part or safe_file_part(township) + '_' + safe_file_part(village)}_异常核实表_{month}.xlsx"


def no_exception_workbook_name(township: str, village: str, month: str, place_part: str | None = None) -> str:
    return f"{place_part or safe_file_part(township) + '_' + safe_file_part(village)}_无异常确认表_{month}.xlsx"


def village_file_parts(exceptions: pd.DataFrame, villages: pd.DataFrame | None = None) -> dict[tuple[str, str], str]:
    """Each village's `乡镇_村` file-name part, distinct for every village of the run."""
    labelled = with_place_labels(exceptions)
    places = set(zip(labelled["township"], labelled["village"]))
    if villages is not None:
        places |= set(_place_pairs(villages))
    return unique_file_parts(places)


@dataclass(frozen=True)
class _Header:
    """Everything the sheets of one village workbook share."""
    township: str
    village: str
    month: str
    unit: str  # 填报单位, already formatted with the township

    @property
    def place(self) -> str:
        return f"{self.township}{self.village}"


def write_village_workbooks(exceptions: pd.DataFrame, out_dir: Path, month: str, **options: Any) -> list[Path]:
    """start_village_workbooks, waiting for the files."""
    return start_village_workbooks(exceptions, out_dir, month, **options).result()


def start_village_workbooks(
    exceptions: pd.DataFrame,
    out_dir: Path,
    month: str,
    *,
    mask_ids: bool = True,
    villages: pd.DataFrame | None = None,
    no_exception_sheet: bool = True,
    reporting_unit: str = "{township}民政和社会事务办",
    filled_on: dt.date,
    return_by: dt.date | None = None,
    workers: int = parallel.REPORT_WORKERS,
) -> parallel.Pending:
    """Write one 异常核实表 per village with exceptions (and, with `villages` and
    `no_exception_sheet`, one 无异常确认表 per village without); `.result()` gives the
    paths sorted by township and village.  In the report step's pool (parallel.report_pool)
    the workbooks are written while the caller goes on; otherwise they are written on return.

    With `workers` > 1 and at least parallel.PARALLEL_MIN_WORKBOOKS workbooks to write
    (a city's thousands of villages), batches of villages go to that many worker
    processes (parallel.py); each workbook is built exactly as in one process.

    `filled_on` is the date the tables are issued (printed in 说明, kept in _meta);
    `return_by` is the deadline for sending them back, printed in 说明 when given.
    """
    month_label(month)  # validates YYYY-MM before anything is written
    missing = [c for c in REQUIRED_COLUMNS if c not in exceptions.columns]
    if missing:
        raise ValueError(f"exceptions is missing columns: {', '.join(missing)}")
    unknown = sorted({str(rule) for rule in exceptions["rule"] if rule not in RULE_NAMES})
    if unknown:
        raise ValueError(f"unknown or missing rule codes: {', '.join(unknown)}")
    duplicated = exceptions["case_id"][exceptions["case_id"].duplicated()].dropna()
    if exceptions["case_id"].isna().any() or len(duplicated):
        raise ValueError("every exception needs a case_id, unique within the month")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_place = group_records(frame_records(with_place_labels(exceptions)), ("township", "village"))
    without = ([pair for pair in _place_pairs(villages) if pair not in by_place]
               if villages is not None and no_exception_sheet else [])
    options = {"mask_ids": mask_ids, "reporting_unit": reporting_unit, "filled_on": filled_on,
               "return_by": return_by, "file_parts": village_file_parts(exceptions, villages)}
    places = [(township, village, by_place[township, village]) for township, village in sorted(by_place)]
    places += [(township, village, None) for township, village in without]
    return parallel.start_batches(_write_places, places, out_dir, month, options, workers=workers,
                                  finish=_paths_by_place)


def _paths_by_place(written: list[tuple[tuple[str, str], Path]]) -> list[Path]:
    by_place = dict(written)
    return [by_place[key] for key in sorted(by_place)]


def _write_places(places: list[tuple[str, str, list[dict[str, Any]] | None]], out_dir: Path, month: str,
                  options: dict[str, Any]) -> list[tuple[tuple[str, str], Path]]:
    """Workbooks for (township, village, rows) — rows None for a 无异常确认表."""
    written = []
    for township, village, rows in places:
        header = _Header(township, village, month, options["reporting_unit"].format(township=township))
        if rows is None:
            path = out_dir / no_exception_workbook_name(township, village, month,
                                                        options["file_parts"][township, village])
            _build_no_exception_workbook(header, filled_on=options["filled_on"], file_name=path.name).save(path)
        else:
            path = out_dir / village_workbook_name(township, village, month, options["file_parts"][township, village])
            _build_village_workbook(rows, header, mask_ids=options["mask_ids"], filled_on=options["filled_on"],
                                    return_by=options["return_by"], file_name=path.name).save(path)
        written.append(((township, village), path))
    return written


def group_records(records: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple, list[dict[str, Any]]]:
    """Records (frame_records of a whole frame: per group it costs more than the workbook)
    by the values of `keys`, in their order within each key."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(tuple(record[k] for k in keys), []).append(record)
    return groups


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """frame.to_dict("records"), value for value and type for type, in less than half the
    time: each column's tolist() gives Python scalars and Timestamps at C speed, and only a
    numpy scalar left in an object column is boxed as pandas boxes it (pandas boxes every
    value of an object column in Python: a city's ledgers, 2.4M values, 1.2 s -> 0.5 s)."""
    columns = list(frame.columns)
    lists = []
    for i in range(len(columns)):
        column = frame.iloc[:, i]
        values = column.tolist()
        if column.dtype == object:
            values = [maybe_box_native(v) if isinstance(v, np.generic) else v for v in values]
        lists.append(values)
    return [dict(zip(columns, row)) for row in zip(*lists)]


def with_place_labels(exceptions: pd.DataFrame) -> pd.DataFrame:
    """Rows without a township or village still go somewhere the township office
    will see them, under a label that says what is missing."""
    cases = exceptions.copy()
    cases["township"] = [text_or_none(v) or UNKNOWN_TOWNSHIP for v in cases["township"]]
    cases["village"] = [text_or_none(v) or UNKNOWN_VILLAGE for v in cases["village"]]
    return cases


def _place_pairs(villages: pd.DataFrame) -> list[tuple[str, str]]:
    pairs = {
        (text_or_none(t) or UNKNOWN_TOWNSHIP, text_or_none(v) or UNKNOWN_VILLAGE)
        for t, v in zip(villages["township"], villages["village"])
    }
    return sorted(pairs)


# --- the exceptions workbook -------------------------------------------------

def _build_village_workbook(rows: list[dict[str, Any]], header: _Header, *, mask_ids: bool,
                            filled_on: dt.date, return_by: dt.date | None, file_name: str = "") -> Book:
    records = sorted(rows, key=_sort_key)
    by_family: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_family.setdefault(FAMILY_OF_RULE[record["rule"]], []).append(record)

    wb = Book(title=f"{header.place}{month_label(header.month)}异常核实表")
    instructions = wb.add_sheet(INSTRUCTIONS_SHEET)
    _write_instructions(instructions, header, records, by_family,
                        filled_on=filled_on, return_by=return_by)

    written_rows: list[tuple[str, str, str, str]] = []  # (case_id, family, row fingerprint, money)
    for family in RULE_FAMILIES:
        if family in by_family:
            ws = wb.add_sheet(family)
            written_rows += _write_family_sheet(ws, family, by_family[family], header, mask_ids)

    _write_meta(wb, KIND_EXCEPTIONS, header, filled_on, extra={
        "file_name": file_name,   # its password (protect_workbooks) is the village's of this name
        "mask_ids": "1" if mask_ids else "0",
        "case_count": str(len(written_rows)),
        "case_fingerprint": case_set_fingerprint(case_id for case_id, *_ in written_rows),
    }, cases=written_rows)
    return wb


def _sort_key(record: dict[str, Any]) -> tuple:
    return (RULE_ORDER[record["rule"]], text_or_none(record["household_id"]) or "",
            text_or_none(record["name"]) or "", str(record["case_id"]))


def _write_family_sheet(ws: Sheet, family: str, records: list[dict[str, Any]],
                        header: _Header, mask_ids: bool) -> list[tuple[str, str, str, str]]:
    """One family's table; returns (case_id, family, row fingerprint, money) per row written,
    money '1' when the row was issued with 已追回金额 to fill in (a recovery entry's balance)."""
    has_previous = any(text_or_none(r["previous_result"]) for r in records)
    has_escalation = any(text_or_none(r.get("escalation")) for r in records)
    has_recovery = any(text_or_none(r.get("recovery_balance")) for r in records)
    columns = (FAMILY_COLUMNS[family] + ((ESCALATION_HEADER,) if has_escalation else ())
               + ((BALANCE_HEADER, RECOVERED_HEADER, RECOVERED_DATE_HEADER) if has_recovery else ())
               + (RESULT_HEADER, REMARK_HEADER))
    if has_previous:
        columns += (PREVIOUS_HEADER,)
    n_columns = len(columns)

    ws.write_title(1, n_columns, f"{header.place}{month_label(header.month)}{family}核实表")
    _write_unit_line(ws, 2, n_columns, header)
    ws.write_header_row(HEADER_ROW, columns)

    written = []
    styles = [CellStyle(alignment=WRAP_CENTER if name in _CENTERED else WRAP_LEFT, number_format=_number_format(name),
                        fill=INPUT_FILL if name in _INPUT_COLUMNS else None) for name in columns]
    row = FIRST_DATA_ROW
    for number, record in enumerate(records, start=1):
        values = _row_values(record, number, header.village, mask_ids)
        ws.write_row(row, [values.get(name) for name in columns], styles)
        money = "1" if has_recovery and values.get(BALANCE_HEADER) is not None else "0"
        written.append((values[CASE_ID_HEADER], family,
                        row_fingerprint(values[CASE_ID_HEADER], values[ID_HEADER], values[NAME_HEADER]), money))
        row += 1
    last_data_row = row - 1

    if "多发金额（元）" in columns:
        row = _write_amount_total(ws, row, columns, records)
    # Widths from header and data only: the merged 合计 label would widen 序号.
    ws.fit_column_widths(HEADER_ROW, last_data_row, n_columns,
                         minimum={i: _MIN_WIDTH[c] for i, c in enumerate(columns, 1) if c in _MIN_WIDTH})
    fit_to_budget(ws.widths, columns, landscape=True)
    ws.fit_row_heights(HEADER_ROW, last_data_row, n_columns)
    choices = result_choices(family)
    ws.add_list_validation(columns.index(RESULT_HEADER) + 1, FIRST_DATA_ROW, last_data_row, choices,
                           title=RESULT_HEADER, error=f"请从下拉列表中选择：{'、'.join(choices)}。")
    signature_row = row + 1
    ws.merge_text(signature_row, 1, n_columns,
                  "村（社区）负责人签字：　　　　　　　　核实人签字：　　　　　　　　"
                  "（村（社区）盖章）　　　　　　　　日期：　　　　年　　月　　日")
    ws.heights[signature_row] = 36

    ws.freeze_row = FIRST_DATA_ROW
    ws.print_setup(n_columns=n_columns, last_row=signature_row, title_rows=f"1:{HEADER_ROW}",
                   footer_left=PRIVACY_NOTE)
    return written


def _death_date_shown(record: dict[str, Any]):
    """A death known only to the month shows as 2019-10 (疑点说明 says the day is unknown)."""
    day = _as_date(record["death_date"])
    if isinstance(day, dt.date) and record.get("death_date_precision") == "month":
        return f"{day.year}-{day.month:02d}"
    return day


def _write_unit_line(ws: Sheet, row: int, n_columns: int, header: _Header) -> None:
    """填报单位 on the left, a 填报时间 line for the village to date by hand on the right."""
    split = max(1, n_columns // 2)
    ws.merge_text(row, 1, split, f"填报单位：{header.unit}（{header.village}）")
    ws.merge_text(row, split + 1, n_columns, "填报时间：　　　　年　　月　　日", alignment=RIGHT)
    ws.heights[row] = 22


def _row_values(record: dict[str, Any], number: int, village: str, mask_ids: bool) -> dict[str, Any]:
    """Header → value for one exception; each family picks the headers it shows."""
    id_number = text_or_none(record["id_number"])
    id_raw = text_or_none(record["id_number_raw"])
    shown_id = mask_id(id_number, id_raw) if mask_ids else (id_number or id_raw or "")
    return {
        "序号": number,
        CASE_ID_HEADER: str(record["case_id"]).strip(),
        NAME_HEADER: text_or_none(record["name"]) or "",
        "所属村组": village,
        "户编号": text_or_none(record["household_id"]),
        "户主姓名": text_or_none(record["head_name"]),
        ID_HEADER: shown_id,
        "救助类型": text_or_none(record["benefit_type"]),
        "疑点类型": RULE_NAMES[record["rule"]],
        "死亡日期": _death_date_shown(record),
        "死亡信息来源": text_or_none(record["matched_source"]),
        "户籍库姓名": text_or_none(record["matched_name"]) if record["rule"] == "ID_NAME_MISMATCH" else None,
        "多发金额（元）": _as_amount(record["amount_overpaid"]),
        "疑点说明": _detail(record),
        PREVIOUS_HEADER: previous_text(record),
        ESCALATION_HEADER: text_or_none(record.get("escalation")),
        BALANCE_HEADER: _as_amount(record.get("recovery_balance")),
        # 核实结果 is left empty on purpose, even when last month's answer is known:
        # the village must look again, not confirm by default.
    }


def _detail(record: dict[str, Any]) -> str | None:
    """疑点说明, with the name on the death record when it is not the member's own."""
    detail = text_or_none(record["detail"])
    matched = text_or_none(record["matched_name"])
    if FAMILY_OF_RULE[record["rule"]] == "死亡疑点" and matched and matched != text_or_none(record["name"]):
        return "；".join(filter(None, [detail, f"死亡记录姓名：{matched}"]))
    return detail


def previous_text(record: dict[str, Any]) -> str | None:
    """上次核实 as one short cell: the answer and the month of the sheet it was given on."""
    result = text_or_none(record["previous_result"])
    month = text_or_none(record.get("previous_month"))
    return f"{result}（{month}）" if result and month and result in RESULT_CHOICES else result


def _number_format(header: str) -> str | None:
    return {"死亡日期": DATE_FORMAT, "多发金额（元）": AMOUNT_FORMAT, BALANCE_HEADER: AMOUNT_FORMAT,
            RECOVERED_HEADER: AMOUNT_FORMAT, RECOVERED_DATE_HEADER: DATE_FORMAT}.get(header)


def _as_date(value: Any) -> dt.date | str | None:
    text = text_or_none(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return text  # shown as received rather than dropped


def _as_int(value: Any) -> int | None:
    return None if text_or_none(value) is None else int(value)


def _as_amount(value: Any) -> float | None:
    return None if text_or_none(value) is None else round(float(value), 2)


def _write_amount_total(ws: Sheet, row: int, columns: Sequence[str],
                        records: list[dict[str, Any]]) -> int:
    """合计 rows under the data, confirmed and suspected deaths apart (a suspected death's
    amount is not owed until the village confirms it); values, not SUM formulas, so viewers
    that do not recalculate (phones, previews) show them too.  Returns the next free row."""
    amount_col = columns.index("多发金额（元）") + 1
    confirmed = [r for r in records if not _suspected(r)]
    suspected = [r for r in records if _suspected(r)]
    for label, group in (("合计：已确认死亡", confirmed), ("合计：疑似死亡（待核实，未计入）", suspected)):
        if not group:
            continue
        total = sum(_as_amount(r["amount_overpaid"]) or 0.0 for r in group)
        for col in range(1, len(columns) + 1):
            ws.write(row, col, None)
        ws.write(row, 1, f"{label}（{len(group)}条）", font=HEADER_FONT, alignment=WRAP_CENTER)
        ws.merge(row, 1, min(amount_col - 1, 5))
        ws.write(row, amount_col, round(total, 2), font=HEADER_FONT, alignment=WRAP_CENTER,
                 number_format=AMOUNT_FORMAT)
        row += 1
    return row


def _suspected(record: dict[str, Any]) -> bool:
    return record["rule"] == "DECEASED_SUSPECT" and record.get("case_status") != "confirmed"


def fit_to_budget(widths: dict[int, float], columns: Sequence[str], *, landscape: bool) -> None:
    """Narrow the columns named in _NARROWEST (towards their floor, in proportion to what
    each can give) until the sheet prints one page wide at PRINT_SCALE_FLOOR or more."""
    budget = printable_width_units(landscape) / PRINT_SCALE_FLOOR
    total = sum(widths.get(i, 0) for i in range(1, len(columns) + 1))
    spare = {i: widths[i] - _NARROWEST[c] for i, c in enumerate(columns, 1)
             if c in _NARROWEST and widths.get(i, 0) > _NARROWEST[c]}
    excess, give = total - budget, sum(spare.values())
    if excess <= 0 or not give:
        return
    share = min(1.0, excess / give)
    for i, can in spare.items():
        widths[i] = round(widths[i] - can * share, 1)


def _write_instructions(ws: Sheet, header: _Header, records: list[dict[str, Any]],
                        by_family: dict[str, list[dict[str, Any]]], *,
                        filled_on: dt.date, return_by: dt.date | None) -> None:
    """The 说明 sheet: one wide wrapped column, so Excel sizes the rows itself."""
    ws.widths[1] = 80  # fits A4 portrait unscaled (LibreOffice ignores fit-to-width here)
    deadline = (f"于{date_label(return_by)}前" if return_by
                else "在镇民政办规定的时间内")
    lines: list[tuple[str, str]] = [  # (style, text)
        ("title", f"{header.place}{month_label(header.month)}低保特困对象数据比对异常核实表"),
        ("title2", "填 表 说 明"),
        ("h", "一、这是什么表"),
        ("p", f"本表由{header.unit}根据{month_label(header.month)}城乡低保、特困供养在册对象与公安死亡注销、"
              f"计生全员人口等数据比对的结果生成，列出本村（社区）需要逐一核实的{len(records)}条疑点，"
              f"按类别分在{len(by_family)}个工作表中（见下方标签：{'、'.join(by_family)}）。"
              "比对结果只是疑点，不是结论，请以入户或电话核实的情况为准。"),
        ("h", "二、各类疑点的含义和处理办法"),
    ]
    for family, family_records in by_family.items():
        for rule in RULE_FAMILIES[family]:
            n = sum(1 for r in family_records if r["rule"] == rule)
            if n:
                lines.append(("p", f"{RULE_NAMES[rule]}（{n}条，见“{family}”表）：{RULES[rule].guidance}"))
    lines += [
        ("h", "三、怎么填"),
        ("p", "1. 逐条核实后，在“核实结果”列的下拉框中选择：属实（疑点情况确实存在）、"
              "不属实（疑点不成立）、已处理（已经停发、追回、更正或纳入）。"),
        ("p", "2. 在“备注”列写明核实情况，如实际死亡日期、停发时间、追回金额、不属实的理由等。"),
    ]
    if DUPLICATE_FAMILY in by_family:
        lines.append(("p", "   “重复享受”表：同一人的每一处享受记录各占一行，请逐行选择“保留此处”或“停发此处”，"
                           "一人只能保留一处、不能全部停发；确非同一人或已处理的，选择“不属实”或“已处理”。"))
    lines += [
        ("p", "   公安死亡注销、火化记录与身份证号完全一致的死亡，以及同一身份证号的重复享受，村（社区）填“不属实”"
              "或“已处理”的，须在备注中写明理由和依据，由镇民政办复核后决定，复核前仍按疑点跟踪。"),
        ("p", "3. 请不要修改姓名、身份证号、核查编号等已有内容，不要增删行、不要改工作表名称，"
              "否则镇民政办无法导入核实结果。"),
        ("p", f"4. 核实后填写核实结果（属实/不属实/已处理）及备注，村（社区）负责人签字并盖章后{deadline}"
              "报镇民政办，同时报送本电子表格。"),
    ]
    if any(text_or_none(r["previous_result"]) for r in records):
        lines.append(("p", "5. “上次核实”列是本村（社区）此前对同一疑点的核实结果，仅供参考，本次仍须重新核实填写。"))
    lines += [
        ("h", "四、注意保密"),
        ("p", f"{PRIVACY_NOTE}；不得张贴公示、拍照转发或上传到微信群等网络平台。"),
        ("p", ""),
        ("p", f"制表单位：{header.unit}　　　制表日期：{date_label(filled_on)}"),
    ]
    for row, (style, text) in enumerate(lines, start=1):
        font = {"title": TITLE_FONT, "title2": BOLD_14, "h": BOLD_12}.get(style, BODY_FONT)
        alignment = WRAP_CENTER if style.startswith("title") else WRAP_LEFT
        ws.write(row, 1, text, border=False, alignment=alignment, font=font)
    ws.fit_row_heights(1, len(lines), 1, points_per_line=18)
    ws.print_setup(n_columns=1, last_row=len(lines), title_rows="1:1", landscape=False)


# --- the no-exception confirmation -------------------------------------------

def _build_no_exception_workbook(header: _Header, *, filled_on: dt.date, file_name: str = "") -> Book:
    label = month_label(header.month)
    wb = Book()
    ws = wb.add_sheet(NO_EXCEPTION_SHEET)
    ws.widths[1] = 90
    lines = [
        f"{header.place}{label}低保特困对象数据比对无异常确认表",
        f"填报单位：{header.unit}（{header.village}）",
        "",
        f"经{label}城乡低保、特困供养在册对象与公安死亡注销、计生全员人口等数据比对，"
        "本村（社区）本月未发现异常情况。",
        "请村（社区）负责人确认本村（社区）在册对象情况属实后签字盖章，报镇民政办备案。",
        "",
        "村（社区）负责人签字：",
        "",
        "（盖章）",
        "",
        "日期：　　　　年　　月　　日",
        "",
        f"制表单位：{header.unit}　　　制表日期：{date_label(filled_on)}",
    ]
    for row, text in enumerate(lines, start=1):
        ws.write(row, 1, text, border=False, alignment=WRAP_CENTER if row == 1 else WRAP_LEFT,
                 font=TITLE_FONT if row == 1 else BODY_FONT)
        ws.heights[row] = 30 if row == 1 else 24
    ws.fit_row_heights(1, len(lines), 1, points_per_line=18)
    ws.print_setup(n_columns=1, last_row=len(lines), title_rows="1:1", landscape=False)
    _write_meta(wb, KIND_NO_EXCEPTIONS, header, filled_on, extra={"case_count": "0", "file_name": file_name},
                cases=[])
    return wb


# --- _meta -------------------------------------------------------------------

def _write_meta(wb: Book, kind: str, header: _Header, filled_on: dt.date, *,
                extra: dict[str, str], cases: list[tuple[str, str, str, str]]) -> None:
    """Hidden sheet: `key | value` rows, then `case | case_id | family | row sha256 | money`
    rows, then the office's seal over all of it (flows/cases/seal.py).  Hidden rather than
    very hidden so an auditor can unhide and read it; the seal makes editing it useless."""
    ws = wb.add_sheet(META_SHEET, hidden=True)
    items = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "township": header.township,
        "village": header.village,
        "month": header.month,
        "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "filled_on": filled_on.isoformat(),
        **extra,
    }
    row = 1
    for key, value in items.items():
        ws.write(row, 1, key, border=False)
        ws.write(row, 2, value, border=False)
        row += 1
    case_rows = [("case", *case) for case in cases]
    for values in case_rows:
        for col, value in enumerate(values, start=1):
            ws.write(row, col, value, border=False)
        row += 1
    ws.write(row, 1, seal.SEAL_KEY, border=False)
    ws.write(row, 2, seal.seal(items, case_rows), border=False)
