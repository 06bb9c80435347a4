"""A small xlsx writer for the workbooks a city writes by the ten thousand.

A city's report writes ≈ 8,000 village 异常核实表 and ≈ 21,000 附件1–3 ledgers of a
dozen rows each.  openpyxl spends 12–22 ms on each (most of it building and
hashing style objects and serialising its object tree), which made the report the
longest stage of a city run.  These workbooks use a fixed handful of cell styles and
sheet settings, so this module assembles their XML directly, as openpyxl would write
it — the same parts, styles, merges, validations, print set-up and footers — in a
fraction of the time.  The house style (fonts, fills, borders, number formats) stays
in excel_style.py and is given here as the same openpyxl style objects;
tests/unit/reports/openpyxl_reference.py writes the same tables through openpyxl (each
method here names its counterpart there), and the tests read both back alike.

Only what those workbooks, the township summaries and the office's follow-up lists need is here: text, numbers and
dates; merges across columns and rows; fills; widths, heights, hidden columns; frozen
header rows and columns; list drop-downs; A4 print set-up with repeated title rows and
a footer; hidden sheets.  Text is always a string cell (never a formula), with Excel's
quote prefix when it starts like one.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from openpyxl.compat.strings import safe_string  # numbers as openpyxl writes them (%.16g)
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.theme import theme_xml

from flows.reports.excel_style import (
    BODY_FONT, DEFAULT_COLUMN_WIDTH, FOOTER_PAGE_TEXT, HEADER_FILL, HEADER_FONT, PRINT_MARGINS, TITLE_FONT, WRAP_CENTER, WRAP_LEFT,
    excel_safe, fitted_height, fitted_width, looks_like_formula, spanned_widths,
)
from flows.reports.zip_package import write_package

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_FIRST_CUSTOM_FORMAT = 164
# Parts most workbooks carry unchanged (their text depends at most on the number of sheets
# and the styles used): deflated once per process (zip_package.shared_part).
_SHARED_PARTS = frozenset({"[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "xl/_rels/workbook.xml.rels",
                           "xl/styles.xml", "xl/theme/theme1.xml"})
_FOOTER_SIZE = 9
# The thin sides a cell's border draws: all four, or (a cell covered by a merge) those on
# the merged box's outer edge, as Excel and openpyxl draw it so the frame prints whole.
_FULL_BORDER = ("left", "right", "top", "bottom")


@dataclass(frozen=True)
class _Style:
    font: tuple | None          # (name, size, bold); None: the workbook default
    alignment: tuple | None     # (horizontal, vertical, wrap)
    number_format: str | None
    border: tuple[str, ...] | None   # sides of _FULL_BORDER drawn
    fill: str | None            # fgColor rgb of a solid fill
    quoted: bool


@dataclass
class _Validation:
    sqref: str
    choices: tuple[str, ...]
    title: str
    error: str


class CellStyle(NamedTuple):
    """write()'s style arguments as one value: a table's columns each have one (write_row)."""
    font: Font = BODY_FONT
    alignment: Alignment = WRAP_LEFT
    number_format: str | None = None
    border: bool = True
    fill: PatternFill | None = None


@dataclass
class Sheet:
    """One worksheet: cells by (row, column), and the few settings these workbooks use."""
    title: str
    hidden: bool = False
    cells: dict[tuple[int, int], tuple[Any, int]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    hidden_columns: set[int] = field(default_factory=set)
    heights: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, first col, last row, last col)
    validations: list[_Validation] = field(default_factory=list)
    freeze_row: int | None = None       # first row below the frozen header
    freeze_column: int | None = None    # first column right of the frozen ones
    print_titles: str | None = None     # "1:3"
    print_area: tuple[int, int] | None = None  # (columns, rows) from A1
    landscape: bool = True
    footer: dict[str, str] = field(default_factory=dict)  # "L" / "C" / "R" → text
    _book: "Book | None" = None

    # --- cells -----------------------------------------------------------------

    def write(self, row: int, column: int, value: Any, *, font: Font = BODY_FONT,
              alignment: Alignment = WRAP_LEFT, number_format: str | None = None, border: bool = True,
              fill: PatternFill | None = None) -> None:
        """openpyxl_reference.write_cell's value and style, for this writer."""
        self._put(row, column, value, CellStyle(font, alignment, number_format, border, fill))

    def write_row(self, row: int, values: Sequence[Any], styles: Sequence[CellStyle]) -> None:
        """A table's data row: values[i] into column i + 1 with styles[i], as write() puts
        each (the styles made once per table, not once per cell)."""
        for column, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
            self._put(row, column, value, style)

    def _put(self, row: int, column: int, value: Any, style: CellStyle) -> None:
        safe = excel_safe(value)
        quoted = isinstance(safe, str) and looks_like_formula(safe)
        self.cells[row, column] = (safe, self._book.style_of(*style, quoted))

    def value(self, row: int, column: int) -> Any:
        cell = self.cells.get((row, column))
        return None if cell is None else cell[0]

    def merge(self, row: int, first_column: int, last_column: int, *, last_row: int | None = None) -> None:
        """Merge a row's cells (down to last_row when given); covered cells lose their values
        and, under a bordered anchor, carry the frame's outer edges (as openpyxl's merge_cells does)."""
        last_row = last_row or row
        if last_row == row and last_column <= first_column:   # one cell: nothing to merge
            return
        self.merges.append((row, first_column, last_row, last_column))
        anchor = self.cells.get((row, first_column))
        bordered = anchor is not None and self._book.styles[anchor[1]].border == _FULL_BORDER
        for covered in range(row, last_row + 1):
            for column in range(first_column, last_column + 1):
                if (covered, column) == (row, first_column):
                    continue
                if bordered:
                    on_edge = (column == first_column, column == last_column, covered == row, covered == last_row)
                    edges = tuple(side for side, edge in zip(_FULL_BORDER, on_edge) if edge) or None
                    style = _Style(None, None, None, edges, None, False)
                    self.cells[covered, column] = (None, self._book._style_index(style))
                else:
                    self.cells.pop((covered, column), None)

    def set_fill(self, row: int, column: int, fill: PatternFill) -> None:
        """Fill a cell, written or covered by a merge, keeping the rest of its style (openpyxl's
        `cell.fill = fill`)."""
        value, index = self.cells.get((row, column), (None, 0))
        style = replace(self._book.styles[index], fill=fill.fgColor.rgb)
        self.cells[row, column] = (value, self._book._style_index(style))

    def merge_text(self, row: int, first_column: int, last_column: int, text: str, *,
                   font: Font = BODY_FONT, alignment: Alignment = WRAP_LEFT, border: bool = False) -> None:
        self.write(row, first_column, text, font=font, alignment=alignment, border=border)
        self.merge(row, first_column, last_column)

    def write_title(self, row: int, n_columns: int, text: str) -> None:
        self.merge_text(row, 1, n_columns, text, font=TITLE_FONT, alignment=WRAP_CENTER)
        self.heights[row] = 30

    def write_header_row(self, row: int, headers) -> None:
        """openpyxl_reference.write_header_row for this writer: bold, centred, grey."""
        for column, header in enumerate(headers, start=1):
            self.write(row, column, header, font=HEADER_FONT, alignment=WRAP_CENTER, fill=HEADER_FILL)

    # --- layout ----------------------------------------------------------------

    def column_width(self, column: int) -> float:
        return self.widths.get(column, DEFAULT_COLUMN_WIDTH)

    def fit_column_widths(self, first_row: int, last_row: int, n_columns: int, *,
                          minimum: dict[int, int] | None = None) -> None:
        """openpyxl_reference.fit_column_widths for this writer."""
        minimum = minimum or {}
        for column in range(1, n_columns + 1):
            values = (self.value(row, column) for row in range(first_row, last_row + 1))
            self.widths[column] = fitted_width(values, minimum.get(column))

    def fit_row_heights(self, first_row: int, last_row: int, n_columns: int, *,
                        points_per_line: float = 15.0) -> None:
        """openpyxl_reference.fit_row_heights for this writer."""
        widths = [self.column_width(c) for c in range(1, n_columns + 1)]
        spans = {(top, first): last for top, first, bottom, last in self.merges if top == bottom}
        for row in range(first_row, last_row + 1):
            values = [self.value(row, c) for c in range(1, n_columns + 1)]
            self.heights[row] = fitted_height(values, spanned_widths(row, widths, spans), self.heights.get(row),
                                              points_per_line)

    def add_list_validation(self, column: int, first_row: int, last_row: int, choices: tuple[str, ...], *,
                            title: str, error: str) -> None:
        letter = get_column_letter(column)
        self.validations.append(_Validation(f"{letter}{first_row}:{letter}{last_row}", choices, title, error))

    def print_setup(self, *, n_columns: int, last_row: int, title_rows: str, footer_left: str | None = None,
                    landscape: bool = True) -> None:
        """openpyxl_reference.apply_print_setup for this writer: A4, one page wide, title rows
        repeated, page numbers in the footer."""
        self.print_titles = title_rows
        self.print_area = (n_columns, last_row)
        self.landscape = landscape
        self.footer["C"] = FOOTER_PAGE_TEXT
        if footer_left:
            self.footer["L"] = footer_left

    # --- XML -------------------------------------------------------------------

    def _dimension(self) -> str:
        """The used range as openpyxl states it (cells and every cell a merge covers): readers
        in read-only mode (openpyxl's, pandas') size their rows by it."""
        used = set(self.cells)
        for row, first_column, last_row, last_column in self.merges:
            used.update(((row, first_column), (last_row, last_column)))
        if not used:
            return "A1:A1"
        rows, columns = [r for r, _ in used], [c for _, c in used]
        return f"{get_column_letter(min(columns))}{min(rows)}:{get_column_letter(max(columns))}{max(rows)}"

    def _xml(self) -> str:
        parts = [f'<worksheet xmlns="{_MAIN_NS}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
                 + ('<pageSetUpPr fitToPage="1"/>' if self.print_area else "<pageSetUpPr/>") + "</sheetPr>"
                 + f'<dimension ref="{self._dimension()}"/>']
        # no tabSelected: openpyxl leaves it out of a new workbook (Excel selects the active tab)
        parts.append(f'<sheetViews><sheetView workbookViewId="0">{self._pane_xml()}</sheetView></sheetViews>'
                     '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>')
        columns = sorted(set(self.widths) | self.hidden_columns)
        if columns:
            parts.append("<cols>" + "".join(
                f'<col width="{_number(self.column_width(c))}" customWidth="1"'
                + (' hidden="1"' if c in self.hidden_columns else "") + f' min="{c}" max="{c}"/>'
                for c in columns) + "</cols>")
        parts.append("<sheetData>")
        rows: dict[int, list[int]] = {}
        for row, column in self.cells:
            rows.setdefault(row, []).append(column)
        for row in sorted(set(rows) | set(self.heights)):
            height = self.heights.get(row)
            parts.append(f'<row r="{row}"' + (f' ht="{_number(height)}" customHeight="1">' if height else ">"))
            for column in sorted(rows.get(row, ())):
                value, style = self.cells[row, column]
                parts.append(_cell_xml(f"{get_column_letter(column)}{row}", value, style))
            parts.append("</row>")
        parts.append("</sheetData>")
        if self.merges:
            parts.append(f'<mergeCells count="{len(self.merges)}">' + "".join(
                f'<mergeCell ref="{get_column_letter(a)}{r}:{get_column_letter(b)}{r2}"/>'
                for r, a, r2, b in self.merges) + "</mergeCells>")
        if self.validations:
            parts.append(f'<dataValidations count="{len(self.validations)}">' + "".join(
                f'<dataValidation sqref="{v.sqref}" showDropDown="0" showInputMessage="1" showErrorMessage="1"'
                f' allowBlank="1" errorTitle={quoteattr(v.title + "填写有误")} error={quoteattr(v.error)}'
                f' promptTitle={quoteattr(v.title)} prompt={quoteattr("请选择：" + "／".join(v.choices))}'
                f' type="list" errorStyle="stop"><formula1>{escape(chr(34) + ",".join(v.choices) + chr(34))}'
                "</formula1></dataValidation>" for v in self.validations) + "</dataValidations>")
        if self.print_area:
            left, right, top, bottom, header, footer = PRINT_MARGINS
            parts.append(f'<printOptions horizontalCentered="1"/><pageMargins left="{left}" right="{right}"'
                         f' top="{top}" bottom="{bottom}" header="{header}" footer="{footer}"/>'
                         f'<pageSetup orientation="{"landscape" if self.landscape else "portrait"}" paperSize="9"'
                         ' fitToHeight="0" fitToWidth="1"/>')
        else:
            parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
        if self.footer:
            text = "".join(f"&{side}&{_FOOTER_SIZE} {self.footer[side]}" for side in "LCR" if side in self.footer)
            parts.append(f"<headerFooter><oddFooter>{escape(text)}</oddFooter></headerFooter>")
        parts.append("</worksheet>")
        return "".join(parts)

    def _pane_xml(self) -> str:
        """The frozen panes and selection, as openpyxl's freeze_panes setter makes them."""
        row, column = self.freeze_row or 1, self.freeze_column or 1
        if row == column == 1:
            return '<selection activeCell="A1" sqref="A1"/>'
        split = (f' xSplit="{column - 1}"' if column > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
        active = ("bottom" if row > 1 else "top") + ("Right" if column > 1 else "Left")
        # rows and columns both frozen: openpyxl names the other two panes' (empty) selections too
        others = '<selection pane="topRight"/><selection pane="bottomLeft"/>' if row > 1 and column > 1 else ""
        return (f'<pane{split} topLeftCell="{get_column_letter(column)}{row}" activePane="{active}" state="frozen"/>'
                f'{others}<selection pane="{active}" activeCell="A1" sqref="A1"/>')


A4_INCHES = (8.27, 11.69)
PIXELS_PER_INCH = 96
PIXELS_PER_UNIT = 7     # a column width unit is one digit of the body font: 7 px at 96 dpi


def printable_width_units(landscape: bool = True) -> float:
    """Column width units that fit across an A4 page inside PRINT_MARGINS at 100 %."""
    left, right, *_ = PRINT_MARGINS
    paper = A4_INCHES[1] if landscape else A4_INCHES[0]
    return (paper - left - right) * PIXELS_PER_INCH / PIXELS_PER_UNIT


class Book:
    """A workbook of Sheets, saved as one .xlsx."""

    def __init__(self, *, title: str | None = None, creator: str = "dibao-recon") -> None:
        self.title = title
        self.creator = creator
        self.sheets: list[Sheet] = []
        self.styles: list[_Style] = [_Style(None, None, None, None, None, False)]  # xf 0: Excel's Normal
        self._style_ids: dict[_Style, int] = {self.styles[0]: 0}
        self._by_objects: dict[tuple, tuple] = {}

    def add_sheet(self, title: str, *, hidden: bool = False) -> Sheet:
        sheet = Sheet(title, hidden=hidden, _book=self)
        self.sheets.append(sheet)
        return sheet

    def style_of(self, font: Font, alignment: Alignment, number_format: str | None, border: bool,
                 fill: PatternFill | None, quoted: bool) -> int:
        """The xf index of a write()'s style, looked up by the style objects' identity
        (the house style's constants: reading their attributes costs more than the cell)."""
        key = (id(font), id(alignment), number_format, border, id(fill), quoted)
        known = self._by_objects.get(key)
        if known is None:
            style = _Style(_font_key(font), _alignment_key(alignment), number_format,
                           _FULL_BORDER if border else None, fill.fgColor.rgb if fill is not None else None, quoted)
            known = self._by_objects[key] = (self._style_index(style), font, alignment, fill)  # keeps the ids alive
        return known[0]

    def _style_index(self, style: _Style) -> int:
        index = self._style_ids.get(style)
        if index is None:
            index = self._style_ids[style] = len(self.styles)
            self.styles.append(style)
        return index

    def save(self, path: Path) -> None:
        stamp = time.time()
        now = dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        n = len(self.sheets)
        parts = {
            "[Content_Types].xml": _content_types(n),
            "_rels/.rels": _ROOT_RELS,
            "docProps/app.xml": _APP_XML,
            "docProps/core.xml": _core_xml(self.title, self.creator, now),
            "xl/workbook.xml": self._workbook_xml(),
            "xl/_rels/workbook.xml.rels": _workbook_rels(n),
            "xl/styles.xml": self._styles_xml(),
            "xl/theme/theme1.xml": theme_xml,
        }
        for i, sheet in enumerate(self.sheets, start=1):
            parts[f"xl/worksheets/sheet{i}.xml"] = sheet._xml()
        write_package(path, parts.items(), time.localtime(stamp)[:6], shared=_SHARED_PARTS)

    def _workbook_xml(self) -> str:
        sheets, names = [], []
        for i, sheet in enumerate(self.sheets):
            state = "hidden" if sheet.hidden else "visible"
            sheets.append(f'<sheet xmlns:r="{_REL_NS}" name={quoteattr(sheet.title)} sheetId="{i + 1}"'
                          f' state="{state}" r:id="rId{i + 1}"/>')
            quoted = "'" + sheet.title.replace("'", "''") + "'"
            if sheet.print_titles:
                first, last = sheet.print_titles.split(":")
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                             f"{escape(quoted)}!${first}:${last}</definedName>")
            if sheet.print_area:
                columns, rows = sheet.print_area
                names.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">'
                             f"{escape(quoted)}!$A$1:${get_column_letter(columns)}${rows}</definedName>")
        return (f'<workbook xmlns="{_MAIN_NS}"><workbookPr/><workbookProtection/><bookViews><workbookView'
                ' visibility="visible" minimized="0" showHorizontalScroll="1" showVerticalScroll="1"'
                ' showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0" autoFilterDateGrouping="1"/>'
                f'</bookViews><sheets>{"".join(sheets)}</sheets>'
                + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
                + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')

    def _styles_xml(self) -> str:
        fonts: dict[tuple | None, int] = {None: 0}
        fills: dict[str | None, int] = {None: 0}  # fill 1 is Excel's required gray125
        borders: dict[str | None, int] = {None: 0}
        formats: dict[str, int] = {}
        xfs = []
        for style in self.styles:
            font = fonts.setdefault(style.font, len(fonts))
            fill = fills.setdefault(style.fill, len(fills) + 1)
            border = borders.setdefault(style.border, len(borders))
            number = 0
            if style.number_format:
                number = BUILTIN_FORMATS_REVERSE.get(style.number_format)
                if number is None:
                    number = formats.setdefault(style.number_format, _FIRST_CUSTOM_FORMAT + len(formats))
            xf = (f'<xf numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="{border}"'
                  + (' applyAlignment="1"' if style.alignment else "")
                  + f' pivotButton="0" quotePrefix="{1 if style.quoted else 0}" xfId="0"')
            if style.alignment:
                horizontal, vertical, wrap = style.alignment
                xf += (f'><alignment horizontal="{horizontal}" vertical="{vertical}"'
                       + (' wrapText="1"' if wrap else "") + "/></xf>")
            else:
                xf += "/>"
            xfs.append(xf)
        return (f'<styleSheet xmlns="{_MAIN_NS}">'
                + (f'<numFmts count="{len(formats)}">' + "".join(
                    f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>" for code, i in formats.items())
                   + "</numFmts>" if formats else "")
                + f'<fonts count="{len(fonts)}">' + "".join(_font_xml(f) for f in fonts) + "</fonts>"
                + f'<fills count="{len(fills) + 1}"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/>'
                "</fill>" + "".join(_fill_xml(f) for f in fills if f is not None) + "</fills>"
                + f'<borders count="{len(borders)}">' + "".join(_border_xml(b) for b in borders) + "</borders>"
                + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                + f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles>'
                '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
                "</styleSheet>")


# --- pieces --------------------------------------------------------------------

def _font_key(font: Font) -> tuple:
    return (font.name, font.sz, bool(font.b))


def _alignment_key(alignment: Alignment) -> tuple:
    return (alignment.horizontal, alignment.vertical, bool(alignment.wrap_text))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _text(value: str) -> str:
    # \r would come back as \n (XML end-of-line handling): keep it as a character reference.
    return escape(value).replace("\r", "&#13;")


def _cell_xml(ref: str, value: Any, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, str):
        if not value:
            return f'<c r="{ref}"{s} t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value.strip() != value else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        value = to_excel(value)
    return f'<c r="{ref}"{s} t="n"><v>{safe_string(value)}</v></c>'


def _font_xml(font: tuple | None) -> str:
    if font is None:
        return '<font><name val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/><scheme val="minor"/></font>'
    name, size, bold = font
    return f"<font><name val={quoteattr(name)}/>" + ('<b val="1"/>' if bold else "") + f'<sz val="{_number(size)}"/></font>'


def _fill_xml(rgb: str) -> str:
    return f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/></patternFill></fill>'


_THIN = '<{0} style="thin"><color rgb="00000000"/></{0}>'


def _border_xml(border: tuple[str, ...] | None) -> str:
    sides = border or ()
    # openpyxl writes the house BORDER without a diagonal; the default border and a merge's
    # edges (grown from the default) with an empty one
    return ("<border>" + "".join(_THIN.format(side) if side in sides else f"<{side}/>"
                                 for side in ("left", "right", "top", "bottom"))
            + ("" if border == _FULL_BORDER else "<diagonal/>") + "</border>")


def _content_types(n_sheets: int) -> str:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'theme+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'extended-properties+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet}"/>'
                      for i in range(1, n_sheets + 1))
            + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>')


_ROOT_RELS = (
    f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="xl/workbook.xml" Id="rId1"/>'
    '<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"'
    ' Target="docProps/core.xml" Id="rId2"/>'
    '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"'
    ' Target="docProps/app.xml" Id="rId3"/></Relationships>')

_APP_XML = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel Compatible / dibao-recon</Application></Properties>")


def _core_xml(title: str | None, creator: str, now: str) -> str:
    terms = 'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    return ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
            f'<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">{escape(creator)}</dc:creator>'
            + (f'<dc:title xmlns:dc="http://purl.org/dc/elements/1.1/">{escape(title)}</dc:title>' if title else "")
            +             f'<dcterms:created {terms} xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified {terms} xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')


def _workbook_rels(n_sheets: int) -> str:
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    return (f'<Relationships xmlns="{_PKG_REL_NS}">'
            + "".join(f'<Relationship Type="{rel}worksheet" Target="/xl/worksheets/sheet{i}.xml" Id="rId{i}"/>'
                      for i in range(1, n_sheets + 1))
            + f'<Relationship Type="{rel}styles" Target="styles.xml" Id="rId{n_sheets + 1}"/>'
            f'<Relationship Type="{rel}theme" Target="theme/theme1.xml" Id="rId{n_sheets + 2}"/></Relationships>')
