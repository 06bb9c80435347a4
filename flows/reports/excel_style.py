"""Shared openpyxl helpers for the report workbooks: safe cell values, the house
style (fonts, borders, widths) and the print set-up every printed table shares.

Two habits matter more than looks:

* Text is always written as text.  openpyxl turns any string that starts with
  ``=`` into a formula, and a roster is typed by many hands, so a name such as
  ``=HYPERLINK(...)`` must reach the village as the characters it is, never as
  something Excel runs.  ID numbers are text too: as numbers Excel would round
  them to 15 digits.
* Every table prints on A4 landscape, one page wide, with its title and header
  repeated on each page, because villages print, sign and stamp these sheets.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import math
import re
import unicodedata
import weakref
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

# Leading characters that make Excel, WPS or a CSV import treat text as a formula
# (OWASP "CSV injection"); tab and CR are used to smuggle the others past filters.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Control characters that are illegal in XML: openpyxl refuses them outright
# (IllegalCharacterError), so one stray byte in a roster would stop the whole run.
_ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

FONT_NAME = "宋体"
BODY_FONT = Font(name=FONT_NAME, size=11)
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
BOLD_14 = Font(name=FONT_NAME, size=14, bold=True)
BOLD_12 = Font(name=FONT_NAME, size=12, bold=True)
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
# Pale yellow marks the columns the village fills in; it prints as a light grey.
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MAX_COLUMN_WIDTH = 40
MIN_COLUMN_WIDTH = 6
DEFAULT_COLUMN_WIDTH = 13  # openpyxl's width of a column never sized
PRINT_MARGINS = (0.4, 0.4, 0.6, 0.7, 0.3, 0.3)  # left, right, top, bottom, header, footer (inches)

FOOTER_PAGE_TEXT = "第 &P 页，共 &N 页"


def is_blank(value: Any) -> bool:
    """None, NaN, pd.NA and empty/whitespace text all mean "nothing here"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    try:  # pd.NA, pd.NaT: comparing them raises or returns NA
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def text_or_none(value: Any) -> str | None:
    """A DataFrame cell as text, or None when it is blank."""
    return None if is_blank(value) else str(value)


def excel_safe(value: Any) -> Any:
    """The value to put in a cell so that it is stored as given and never runs.

    Blanks become None, numpy scalars plain Python numbers, text loses the XML
    control characters openpyxl cannot write.  Text is returned unchanged
    otherwise (no visible apostrophe is added, so the village sees the name as
    typed); `write_cell` then stores it with data type "s" and, when it starts
    with a formula trigger, Excel's quote prefix, so neither Excel nor a later
    edit in the cell turns it into a formula.
    """
    if isinstance(value, str):   # most cells: text, blank or not, is kept as given
        return _ILLEGAL_XML_CHARS.sub("", value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (dt.date, dt.datetime)):
        return value.item()  # numpy / pandas scalar → int or float
    return value


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def write_cell(ws: Worksheet, row: int, column: int, value: Any, *,
               font: Font = BODY_FONT, alignment: Alignment = WRAP_LEFT,
               number_format: str | None = None, border: bool = True) -> Cell:
    """Write one value through `excel_safe`; text is forced to a string cell."""
    cell = ws.cell(row=row, column=column)
    safe = excel_safe(value)
    cell.value = safe
    quoted = False
    if isinstance(safe, str):
        cell.data_type = "s"  # undo openpyxl's "starts with = means formula"
        quoted = looks_like_formula(safe)
    _set_style(ws, cell, font, alignment, number_format, border, quoted)
    return cell


# Per workbook: (font, alignment, number format, border, quote prefix) -> the style array
# openpyxl made for that combination, with the objects keyed by id kept alive beside it.
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _set_style(ws: Worksheet, cell: Cell, font: Font, alignment: Alignment, number_format: str | None,
               border: bool, quoted: bool) -> None:
    """Style a fresh cell as openpyxl's setters would, copying the style array of the
    first cell given the same style: setting font, alignment and border one by one
    re-hashes each object (a third of a village workbook's time); the indices, and so
    the file, are the same."""
    if cell._style is not None and any(cell._style):   # styled before: through the setters
        _apply_style(cell, font, alignment, number_format, border, quoted)
        return
    styles = _STYLES.setdefault(ws.parent, {})
    key = (id(font), id(alignment), number_format, border, quoted)
    known = styles.get(key)
    if known is None:
        _apply_style(cell, font, alignment, number_format, border, quoted)
        styles[key] = (copy.copy(cell._style), font, alignment)
    else:
        cell._style = copy.copy(known[0])


def _apply_style(cell: Cell, font: Font, alignment: Alignment, number_format: str | None, border: bool,
                 quoted: bool) -> None:
    if quoted:
        cell.quotePrefix = True
    cell.font = font
    cell.alignment = alignment
    if number_format:
        cell.number_format = number_format
    if border:
        cell.border = BORDER


def display_width(text: str) -> int:
    """Width in Excel column units: CJK and other wide characters count 2."""
    if text.isascii():
        return len(text)
    return len(text) + len(_wide_characters().findall(text))


@functools.cache
def _wide_characters() -> re.Pattern:
    """East Asian Wide and Fullwidth characters (UAX #11) as one character class: a
    workbook measures tens of thousands of strings, a regex scans them in C."""
    ranges, start = [], None
    for code in range(0x110000):
        wide = unicodedata.east_asian_width(chr(code)) in ("W", "F")
        if wide and start is None:
            start = code
        elif not wide and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def fitted_width(values: Iterable[Any], minimum: float | None = None) -> float:
    """A column's width for its widest value (capped; long text wraps instead)."""
    widest = MIN_COLUMN_WIDTH if minimum is None else minimum
    for value in values:
        if value is None:
            continue
        text = value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)
        longest_line = max(display_width(line) for line in text.split("\n"))
        widest = max(widest, longest_line + 2)
    return min(widest, MAX_COLUMN_WIDTH)


def fitted_height(values: Iterable[Any], widths: Iterable[float], height: float | None,
                  points_per_line: float = 15.0) -> float:
    """A row's height for its wrapped text, given its columns' widths; never lower than
    the height it already has."""
    lines = 1
    for value, width in zip(values, widths):
        if value is None or isinstance(value, (int, float, dt.date)):
            continue
        usable = max(width - 1.5, 1)
        needed = sum(max(1, math.ceil(display_width(part) / usable)) for part in str(value).split("\n"))
        lines = max(lines, needed)
    return max(height or 0, lines * points_per_line + 4)


def fit_column_widths(ws: Worksheet, first_row: int, last_row: int, n_columns: int,
                      *, minimum: dict[int, int] | None = None) -> None:
    """Size each column to its widest cell in rows first_row..last_row."""
    minimum = minimum or {}
    for col in range(1, n_columns + 1):
        values = (ws.cell(row=row, column=col).value for row in range(first_row, last_row + 1))
        ws.column_dimensions[get_column_letter(col)].width = fitted_width(values, minimum.get(col))


def fit_row_heights(ws: Worksheet, first_row: int, last_row: int, n_columns: int, *,
                    points_per_line: float = 15.0) -> None:
    """Set each row tall enough for its wrapped text.  Excel re-measures rows when it
    opens a file, but LibreOffice and some printers do not: without this, long 疑点说明
    text prints on top of the next row."""
    widths = [ws.column_dimensions[get_column_letter(c)].width or MIN_COLUMN_WIDTH
              for c in range(1, n_columns + 1)]
    spans = {(r.min_row, r.min_col): r.max_col for r in ws.merged_cells.ranges if r.min_row == r.max_row}
    for row in range(first_row, last_row + 1):
        values = [ws.cell(row=row, column=col).value for col in range(1, n_columns + 1)]
        ws.row_dimensions[row].height = fitted_height(values, spanned_widths(row, widths, spans),
                                                      ws.row_dimensions[row].height, points_per_line)


def spanned_widths(row: int, widths: list[float], spans: dict[tuple[int, int], int]) -> list[float]:
    """The width each cell of `row` wraps its text in: its column's, or for a cell merged
    across columns (spans: (row, first column) -> last column) the merged columns' together."""
    return [sum(widths[column - 1:spans[row, column]]) if (row, column) in spans else width
            for column, width in enumerate(widths, start=1)]


def merge_text(ws: Worksheet, row: int, first_col: int, last_col: int, text: str, *,
               font: Font = BODY_FONT, alignment: Alignment = WRAP_LEFT,
               border: bool = False) -> Cell:
    """Text in a cell merged across first_col..last_col of one row."""
    cell = write_cell(ws, row, first_col, text, font=font, alignment=alignment, border=border)
    if last_col > first_col:
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
    return cell


def write_title(ws: Worksheet, row: int, n_columns: int, text: str) -> None:
    merge_text(ws, row, 1, n_columns, text, font=TITLE_FONT, alignment=WRAP_CENTER)
    ws.row_dimensions[row].height = 30


def write_header_row(ws: Worksheet, row: int, headers: Iterable[str]) -> None:
    for col, header in enumerate(headers, start=1):
        cell = write_cell(ws, row, col, header, font=HEADER_FONT, alignment=WRAP_CENTER)
        cell.fill = HEADER_FILL


def apply_print_setup(ws: Worksheet, *, n_columns: int, last_row: int, title_rows: str,
                      footer_left: str | None = None) -> None:
    """A4 landscape, one page wide (as many pages tall as needed), title and header
    repeated on every page, page numbers in the footer."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    left, right, top, bottom, header, footer = PRINT_MARGINS
    ws.page_margins = PageMargins(left=left, right=right, top=top, bottom=bottom, header=header, footer=footer)
    ws.print_title_rows = title_rows
    ws.print_area = f"A1:{get_column_letter(n_columns)}{last_row}"
    ws.oddFooter.center.text = FOOTER_PAGE_TEXT
    ws.oddFooter.center.size = 9
    if footer_left:
        ws.oddFooter.left.text = footer_left
        ws.oddFooter.left.size = 9


def month_label(month: str) -> str:
    """'2020-05' → '2020年5月' (the way notices write a month)."""
    year, mon = parse_month(month)
    return f"{year}年{mon}月"


def parse_month(month: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(month))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"月份应为YYYY-MM格式：{month!r}")
    return int(match.group(1)), int(match.group(2))


def date_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


MAX_NAME_PART = 40   # characters of one name in a file name: 3 such parts stay far below 255 bytes


def safe_file_part(name: str) -> str:
    """A township or village name usable in a file name on Windows and Linux; an over-long
    name is shortened and given a code of the full name, so it still names one place."""
    part = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("._") or "未命名"
    if len(part) > MAX_NAME_PART:
        part = f"{part[:MAX_NAME_PART - 8].rstrip('._')}_{name_code(name)}"
    return part


def name_code(name: str) -> str:
    """Six hex characters that tell apart names a file name cannot (stable across runs)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]


def unique_file_parts(places: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """The `乡镇_村` part of each place's file names, distinct for distinct places: where
    sanitising makes two names alike (`a/b`, `a_b`) or a file system ignores case, each of
    them gets the code of its full name."""
    plain = {place: "_".join(safe_file_part(name) for name in place) for place in set(places)}
    groups: dict[str, list[tuple[str, ...]]] = {}
    for place, part in plain.items():
        groups.setdefault(part.casefold(), []).append(place)
    return {place: plain[place] if len(members) == 1 else f"{plain[place]}_{name_code('|'.join(place))}"
            for members in groups.values() for place in members}


def file_name_notes(parts: dict[tuple[str, ...], str]) -> list[str]:
    """A line for each place whose file name carries a code (shortened, or alike another)."""
    notes = []
    for place, part in sorted(parts.items()):
        if part != "_".join(safe_file_part(name) for name in place) or any(len(n) > MAX_NAME_PART for n in place):
            where = "".join(place)
            where = where if len(where) <= 30 else where[:30] + "…"
            notes.append(f"“{where}”的名称在文件名中无法原样使用（过长或与其他村（社区）的文件名相同），"
                         f"文件名改为“{part}”")
    return notes


# Where a header may break: after / 与, before a bracket or a trailing 查无/未/仍/兜底 clause;
# never inside a bracket or a run of Latin letters and digits.
_HEADER_BREAKS = re.compile(r"(?<=[/与])|(?=（)|(?=查无|未调整|仍发放|仍在保|兜底)")
HEADER_LINE_UNITS = 14   # display width a header line aims at (7 Chinese characters)


def header_lines(text: str, units: int = HEADER_LINE_UNITS) -> str:
    """A header with explicit line breaks at allowed points, lines of at most `units` where
    the pieces allow; the column is then made as wide as its longest line (header_width),
    so Excel never breaks a header inside a word or a bracket."""
    lines: list[str] = []
    for piece in (p for p in _HEADER_BREAKS.split(text) if p):
        if lines and display_width(lines[-1] + piece) <= units:
            lines[-1] += piece
        else:
            lines.append(piece)
    return "\n".join(lines)


def header_width(text: str) -> float:
    """The column width that holds every line of a header unbroken."""
    return max(display_width(line) for line in text.split("\n")) + 2
