"""Poverty-registry ledgers (the notice's 附件1–3 摸排台账).

The notice asks every village to list, person by person, its 未脱贫建档立卡贫困人口
(附件1), 边缘户 (附件2) and 脱贫监测户 (附件3): what assistance each already gets and,
if none, whether they should be taken in and if not, why not.  dibao-recon prefills
the ledgers from the poverty registry joined with the roster; the village checks
目前享受救助类型 and fills only 通过排查拟纳入救助 and 未纳入原因.

Written per (township, village, household_type) for the villages, and per
(township, household_type) with all villages for the township office to send up.
A village file holds only its own people (files travel by USB stick and WeChat).

The printed table is the notice's: its 14 header texts exactly (`LEDGER_HEADERS`),
plus a 上次填报 column when the village answered before.  Each row's 台账编号
(ledger_id) sits in one more column, hidden and outside the print area, so the
answer stays tied to the person even if the village sorts or deletes rows.  A
hidden `_meta` sheet says what the file is and keeps, per ledger_id, a sha256 of
(台账编号, 身份证号码 cell, 姓名 cell) as written, as `workbooks.py` does for cases.

Returned ledgers are read back by `flows/cases/ledger_sheets.py`.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Font

from flows.cases import seal
from flows.normalize.ids import mask_id
from flows.reports import parallel
from flows.reports.excel_style import (
    AMOUNT_FORMAT, FONT_NAME, INPUT_FILL, RIGHT, WRAP_CENTER, WRAP_LEFT,
    date_label, display_width, month_label, safe_file_part, text_or_none, unique_file_parts,
)
from flows.reports.xlsx_writer import Book, CellStyle, Sheet
from flows.reports.workbooks import (
    META_SHEET, PRIVACY_NOTE, case_set_fingerprint, frame_records, group_records, row_fingerprint,
    with_place_labels,
)

KIND_POVERTY_LEDGER = "poverty_ledger"
LEDGER_FORMAT_VERSION = "2"  # 2: _meta sealed with the office key (flows/cases/seal.py)
SCOPE_VILLAGE = "village"
SCOPE_TOWNSHIP = "township"

# household_type → (附件 number, 台账名), as the notice numbers them.
LEDGER_TITLES: dict[str, tuple[int, str]] = {
    "未脱贫建档立卡": (1, "未脱贫建档立卡贫困人口摸排台账"),
    "边缘户": (2, "边缘户摸排台账"),
    "脱贫监测户": (3, "脱贫监测户摸排台账"),
}

# The notice's header texts, exactly and in this order.
LEDGER_HEADERS: tuple[str, ...] = (
    "序号", "乡镇", "所属村组", "姓名", "身份证号码", "家庭人数", "与户主关系", "健康状况", "致贫原因",
    "家庭人均月纯收入（元）", "目前享受救助类型", "联系电话", "通过排查拟纳入救助", "未纳入原因",
)
NAME_HEADER = "姓名"
ID_HEADER = "身份证号码"
ASSISTANCE_HEADER = "目前享受救助类型"
INCLUDE_HEADER = "通过排查拟纳入救助"
REASON_HEADER = "未纳入原因"
PREVIOUS_HEADER = "上次填报"
LEDGER_ID_HEADER = "台账编号"  # the hidden column after the printed ones

ASSISTANCE_CHOICES = ("低保", "特困", "临时救助", "无")
INCLUDE_CHOICES = ("是", "否")

HEADER_ROW = 4  # 附件N, title, 填报单位/时间, header
FIRST_DATA_ROW = HEADER_ROW + 1

REQUIRED_COLUMNS = (
    "ledger_id", "household_type", "township", "village", "name", "id_number", "id_number_raw",
    "household_size", "relation", "health", "poverty_cause", "income_monthly", "current_assistance",
    "phone", "previous_include", "previous_reason",
)
ANSWER_COLUMNS = ("ledger_id", "row", "include", "reason", "current_assistance")

NOTES = (
    "填表说明：1.本表由村（社区）逐户逐人填写，乡镇（街道）审核汇总；"
    "2.“目前享受救助类型”填写低保、特困、临时救助或无，系统已根据低保特困名册预填，如有出入请更正；"
    "3.“通过排查拟纳入救助”填写是或否；填“否”的，须在“未纳入原因”中说明理由"
    "（如收入超标、不符合条件、本人不愿申请等）；"
    "4.家庭人均月纯收入按最近12个月计算；"
    "5.请勿修改姓名、身份证号码，不要增加行或改动表头，否则无法导入；"
    f"6.{PRIVACY_NOTE}。"
)
PREVIOUS_NOTE = "7.“上次填报”列为本村（社区）此前的填报结果，仅供参考，本次仍须重新填写。"
ANNEX_FONT = Font(name=FONT_NAME, size=10)

_INPUT_COLUMNS = {ASSISTANCE_HEADER, INCLUDE_HEADER, REASON_HEADER}  # checked or filled in by the village
_CENTERED = {"序号", "乡镇", "所属村组", ID_HEADER, "家庭人数", "与户主关系", ASSISTANCE_HEADER,
             "联系电话", INCLUDE_HEADER}
_MAX_HEADER_WIDTH = 12  # longer headers wrap instead of widening the column
_MIN_WIDTH = {REASON_HEADER: 20, PREVIOUS_HEADER: 14, "致贫原因": 10, "健康状况": 8}
_WANTED = (NAME_HEADER, ID_HEADER, ASSISTANCE_HEADER, INCLUDE_HEADER, REASON_HEADER, LEDGER_ID_HEADER)


def ledger_workbook_name(township: str, village: str | None, household_type: str, month: str,
                         place_part: str | None = None) -> str:
    """`{乡镇}_{村}_附件{N}_{台账名}_{YYYY-MM}.xlsx`; without a village, the township's.
    `place_part` (unique_file_parts) tells apart villages whose names a file name cannot."""
    number, title = LEDGER_TITLES[household_type]
    place = place_part or safe_file_part(township) + (f"_{safe_file_part(village)}" if village else "")
    return f"{place}_附件{number}_{title}_{month}.xlsx"


@dataclass(frozen=True)
class _Ledger:
    """What one ledger workbook is about."""
    township: str
    village: str  # "" for the township-level ledger
    household_type: str
    month: str

    @property
    def number(self) -> int:
        return LEDGER_TITLES[self.household_type][0]

    @property
    def title(self) -> str:
        return LEDGER_TITLES[self.household_type][1]

    @property
    def scope(self) -> str:
        return SCOPE_VILLAGE if self.village else SCOPE_TOWNSHIP


def write_poverty_ledgers(ledger: pd.DataFrame, out_dir: Path, month: str, **options: Any) -> list[Path]:
    """start_poverty_ledgers, waiting for the files."""
    return start_poverty_ledgers(ledger, out_dir, month, **options).result()


def start_poverty_ledgers(ledger: pd.DataFrame, out_dir: Path, month: str, *,
                          filled_on: dt.date, mask_ids: bool = True,
                          workers: int = parallel.REPORT_WORKERS) -> parallel.Pending:
    """Write the 附件1–3 ledgers: one per (township, village, household_type) with rows
    and one per (township, household_type) covering all its villages.  `.result()` gives
    the village files sorted by (township, village, 附件N), then the township files
    sorted by (township, 附件N).  In the report step's pool the files are written while
    the caller goes on.

    `filled_on` is the date the ledgers are prefilled (kept in _meta, printed in the
    footer); the 填报时间 line stays blank for the village to date by hand.
    """
    month_label(month)  # validates YYYY-MM before anything is written
    _check_ledger(ledger)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    people = with_place_labels(ledger)
    people["_number"] = [LEDGER_TITLES[t][0] for t in people["household_type"]]
    records = frame_records(people)      # read, never changed: the village and township ledgers share them
    by_village = group_records(records, ("township", "village", "_number"))
    by_township = group_records(records, ("township", "_number"))

    ledgers = [(rows, _Ledger(township, village, rows[0]["household_type"], month))
               for (township, village, _), rows in sorted(by_village.items(), key=lambda item: item[0])]
    for (township, _), rows in sorted(by_township.items(), key=lambda item: item[0]):
        # Villages in name order; within a village, the registry's own order.
        ledgers.append((sorted(rows, key=lambda r: r["village"]),
                        _Ledger(township, "", rows[0]["household_type"], month)))
    # A city's thousands of village ledgers are written on both cores (parallel.py).
    parts = unique_file_parts((township, village) for township, village, _ in by_village)
    return parallel.start_batches(_save_all, ledgers, out_dir, filled_on, mask_ids, parts, workers=workers)


def _save_all(ledgers: list[tuple[list[dict[str, Any]], "_Ledger"]], out_dir: Path, filled_on: dt.date,
              mask_ids: bool, parts: dict[tuple[str, str], str]) -> list[Path]:
    return [_save(rows, header, out_dir, filled_on=filled_on, mask_ids=mask_ids,
                  place_part=parts.get((header.township, header.village))) for rows, header in ledgers]


def _check_ledger(ledger: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in ledger.columns]
    if missing:
        raise ValueError(f"ledger is missing columns: {', '.join(missing)}")
    unknown = sorted({str(t) for t in ledger["household_type"] if t not in LEDGER_TITLES})
    if unknown:
        raise ValueError(f"unknown household_type: {', '.join(unknown)}")
    ids = [text_or_none(v) for v in ledger["ledger_id"]]
    stripped = [i.strip() for i in ids if i is not None]
    if len(stripped) != len(ids) or len(set(stripped)) != len(stripped):
        raise ValueError("every ledger row needs a ledger_id, unique within the ledger")


def _save(rows: list[dict[str, Any]], header: _Ledger, out_dir: Path, *, filled_on: dt.date,
          mask_ids: bool, place_part: str | None = None) -> Path:
    path = out_dir / ledger_workbook_name(header.township, header.village or None,
                                          header.household_type, header.month, place_part)
    _build_workbook(rows, header, filled_on=filled_on, mask_ids=mask_ids, file_name=path.name).save(path)
    return path


# --- the ledger sheet ----------------------------------------------------------

def _build_workbook(records: list[dict[str, Any]], header: _Ledger, *, filled_on: dt.date,
                    mask_ids: bool, file_name: str = "") -> Book:
    has_previous = any(_previous_answer(r) for r in records)
    columns = LEDGER_HEADERS + ((PREVIOUS_HEADER,) if has_previous else ())
    n_columns = len(columns)
    id_column = n_columns + 1  # hidden, not printed

    wb = Book(title=f"{header.township}{header.village}{month_label(header.month)}{header.title}")
    ws = wb.add_sheet(header.title)
    ws.write(1, 1, f"附件{header.number}", font=ANNEX_FONT, border=False)
    ws.write_title(2, n_columns, f"{header.township}{header.title}（{month_label(header.month)}）")
    _write_unit_line(ws, 3, n_columns, header)
    ws.write_header_row(HEADER_ROW, columns)
    ws.write(HEADER_ROW, id_column, LEDGER_ID_HEADER, border=False)
    ws.heights[HEADER_ROW] = 45  # long headers wrap to two or three lines

    fingerprints: list[tuple[str, str]] = []  # (ledger_id, row fingerprint)
    styles = [CellStyle(alignment=WRAP_CENTER if name in _CENTERED else WRAP_LEFT, number_format=_number_format(name),
                        fill=INPUT_FILL if name in _INPUT_COLUMNS else None) for name in columns]
    row = FIRST_DATA_ROW
    for number, record in enumerate(records, start=1):
        values = _row_values(record, number, mask_ids)
        ws.write_row(row, [values.get(name) for name in columns], styles)
        ledger_id = str(record["ledger_id"]).strip()
        ws.write(row, id_column, ledger_id, border=False)
        fingerprints.append((ledger_id, row_fingerprint(ledger_id, values[ID_HEADER], values[NAME_HEADER])))
        row += 1
    last_data_row = row - 1

    # Widths from the data; a header wider than _MAX_HEADER_WIDTH wraps instead.
    minimum = {i: max(_MIN_WIDTH.get(name, 0), min(display_width(name) + 2, _MAX_HEADER_WIDTH))
               for i, name in enumerate(columns, start=1)}
    ws.fit_column_widths(FIRST_DATA_ROW, last_data_row, n_columns, minimum=minimum)
    ws.fit_row_heights(HEADER_ROW, last_data_row, len(columns))
    ws.widths[id_column] = 10
    ws.hidden_columns.add(id_column)

    ws.add_list_validation(columns.index(ASSISTANCE_HEADER) + 1, FIRST_DATA_ROW, last_data_row, ASSISTANCE_CHOICES,
                           title=ASSISTANCE_HEADER, error="请从下拉列表中选择：低保、特困、临时救助或无。")
    ws.add_list_validation(columns.index(INCLUDE_HEADER) + 1, FIRST_DATA_ROW, last_data_row, INCLUDE_CHOICES,
                           title=INCLUDE_HEADER, error="请从下拉列表中选择：是或否。")

    notes_row = last_data_row + 2
    notes = NOTES + (PREVIOUS_NOTE if has_previous else "")
    ws.merge_text(notes_row, 1, n_columns, notes)
    ws.heights[notes_row] = _wrapped_height(ws, notes, n_columns)
    signature_row = notes_row + 1
    person = "村（社区）负责人" if header.village else "乡镇（街道）负责人"
    ws.merge_text(signature_row, 1, n_columns, f"{person}：　　　　　　　　填表人：　　　　　　　　联系电话：")
    ws.heights[signature_row] = 30

    ws.freeze_row = FIRST_DATA_ROW
    ws.print_setup(n_columns=n_columns, last_row=signature_row, title_rows=f"1:{HEADER_ROW}",
                   footer_left=PRIVACY_NOTE)
    ws.footer["R"] = f"预填日期：{date_label(filled_on)}"

    _write_meta(wb, header, filled_on, mask_ids=mask_ids, sheet=ws.title,
                has_previous=has_previous, fingerprints=fingerprints, file_name=file_name)
    return wb


def _write_unit_line(ws: Sheet, row: int, n_columns: int, header: _Ledger) -> None:
    """填报单位 (to be stamped) on the left, 填报时间 for the village to date by hand on the right."""
    split = max(1, n_columns // 2)
    ws.merge_text(row, 1, split, f"填报单位：{header.township}{header.village}（盖章）")
    ws.merge_text(row, split + 1, n_columns, "填报时间：　　　　年　　月　　日", alignment=RIGHT)
    ws.heights[row] = 22


def _row_values(record: dict[str, Any], number: int, mask_ids: bool) -> dict[str, Any]:
    id_number = text_or_none(record["id_number"])
    id_raw = text_or_none(record["id_number_raw"])
    shown_id = mask_id(id_number, id_raw) if mask_ids else (id_number or id_raw or "")
    return {
        "序号": number,
        "乡镇": record["township"],
        "所属村组": record["village"],
        NAME_HEADER: text_or_none(record["name"]) or "",
        ID_HEADER: shown_id,
        "家庭人数": _as_count(record["household_size"]),
        "与户主关系": text_or_none(record["relation"]),
        "健康状况": text_or_none(record["health"]),
        "致贫原因": text_or_none(record["poverty_cause"]),
        "家庭人均月纯收入（元）": _as_amount(record["income_monthly"]),
        ASSISTANCE_HEADER: text_or_none(record["current_assistance"]),
        "联系电话": _as_phone(record["phone"]),
        # 通过排查拟纳入救助 and 未纳入原因 stay empty even when the village answered
        # before: it must look again, not confirm by default (上次填报 shows the old answer).
        PREVIOUS_HEADER: _previous_answer(record),
    }


def _previous_answer(record: dict[str, Any]) -> str | None:
    """'否（收入超标）', '是', or None when the village has not answered before."""
    include = text_or_none(record["previous_include"])
    reason = text_or_none(record["previous_reason"])
    if include is None:
        return None
    return f"{include.strip()}（{reason.strip()}）" if reason else include.strip()


def _number_format(header: str) -> str | None:
    return {"家庭人均月纯收入（元）": AMOUNT_FORMAT, "家庭人数": "0"}.get(header)


def _as_count(value: Any) -> int | str | None:
    text = text_or_none(value)
    if text is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return text  # shown as received rather than dropped
    return int(number) if number.is_integer() else text


def _as_amount(value: Any) -> float | str | None:
    text = text_or_none(value)
    if text is None:
        return None
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return text


def _as_phone(value: Any) -> str | None:
    """Always text: a phone read as a float (13800000000.0) loses its '.0'."""
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        return str(int(value))
    return text_or_none(value)


def _wrapped_height(ws: Sheet, text: str, n_columns: int) -> float:
    """Row height for text wrapped in a merged cell (Excel does not size those itself)."""
    width = sum(ws.column_width(c) for c in range(1, n_columns + 1))
    lines = math.ceil(display_width(text) / max(width - 2, 1)) + 1
    return 15.0 * lines


def _write_meta(wb: Book, header: _Ledger, filled_on: dt.date, *, mask_ids: bool, sheet: str,
                has_previous: bool, fingerprints: list[tuple[str, str]], file_name: str) -> None:
    """Hidden sheet: `key | value` rows, then `ledger | ledger_id | row sha256` rows."""
    ws = wb.add_sheet(META_SHEET, hidden=True)
    items = {
        "kind": KIND_POVERTY_LEDGER,
        "format_version": LEDGER_FORMAT_VERSION,
        "scope": header.scope,
        "township": header.township,
        "village": header.village,
        "household_type": header.household_type,
        "month": header.month,
        "sheet": sheet,
        "file_name": file_name,   # its password (protect_workbooks) is the village's of this name
        "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "filled_on": filled_on.isoformat(),
        "mask_ids": "1" if mask_ids else "0",
        "has_previous": "1" if has_previous else "0",
        "ledger_count": str(len(fingerprints)),
        "ledger_fingerprint": case_set_fingerprint(ledger_id for ledger_id, _ in fingerprints),
    }
    row = 1
    for key, value in items.items():
        ws.write(row, 1, key, border=False)
        ws.write(row, 2, value, border=False)
        row += 1
    ledger_rows = [("ledger", ledger_id, fingerprint) for ledger_id, fingerprint in fingerprints]
    for values in ledger_rows:
        for col, value in enumerate(values, start=1):
            ws.write(row, col, value, border=False)
        row += 1
    ws.write(row, 1, seal.SEAL_KEY, border=False)   # the office's seal over all of it (flows/cases/seal.py)
    ws.write(row, 2, seal.seal(items, ledger_rows), border=False)
