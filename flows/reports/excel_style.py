"""The house style of the report workbooks and the helpers every writer shares: safe
cell values, fonts, fills and alignments, column widths and row heights for wrapped text,
month and file-name labels.  The workbooks themselves are written by xlsx_writer.py (and
the county roll-ups by the same); tests/unit/reports/openpyxl_reference.py writes the same
tables through openpyxl, which the writer is held to.

Two habits matter more than looks:

* Text is always written as text.  A string that starts with ``=`` is a formula to Excel,
  and a roster is typed by many hands, so a name such as ``=HYPERLINK(...)`` must reach
  the village as the characters it is, never as something Excel runs.  ID numbers are text
  too: as numbers Excel would round them to 15 digits.
* Every table prints on A4 landscape, one page wide, with its title and header
  repeated on each page, because villages print, sign and stamp these sheets.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill

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
    typed); the writer (xlsx_writer.Sheet.write) stores it as a string cell and, when it starts
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


@functools.lru_cache(maxsize=1 << 16)
def display_width(text: str) -> int:
    """Width in Excel column units: CJK and other wide characters count 2.  Cached: a
    workbook measures each text twice (its column's width, its row's height), and names
    of places, rules and headers on every sheet."""
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
        longest_line = (max(display_width(line) for line in text.split("\n")) if "\n" in text
                        else display_width(text))
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
        text = str(value)
        if "\n" in text:
            needed = sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))
        else:
            needed = max(1, math.ceil(display_width(text) / usable))
        lines = max(lines, needed)
    return max(height or 0, lines * points_per_line + 4)


def spanned_widths(row: int, widths: list[float], spans: dict[tuple[int, int], int]) -> list[float]:
    """The width each cell of `row` wraps its text in: its column's, or for a cell merged
    across columns (spans: (row, first column) -> last column) the merged columns' together."""
    return [sum(widths[column - 1:spans[row, column]]) if (row, column) in spans else width
            for column, width in enumerate(widths, start=1)]


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
