"""The report tables written through openpyxl, the way the product wrote them before
flows/reports/xlsx_writer.py: the reference the writer is held to (test_xlsx_writer.py builds
one sheet both ways and reads both back).  Not used by the product."""
from __future__ import annotations

import copy
import weakref
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from flows.reports.excel_style import (
    BODY_FONT, FOOTER_PAGE_TEXT, HEADER_FILL, HEADER_FONT, MIN_COLUMN_WIDTH, PRINT_MARGINS, TITLE_FONT, WRAP_CENTER,
    WRAP_LEFT, excel_safe, fitted_height, fitted_width, looks_like_formula, spanned_widths,
)

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


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

