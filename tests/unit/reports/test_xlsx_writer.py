"""xlsx_writer writes what openpyxl writes: the same sheet built both ways (openpyxl
through excel_style's helpers, the writer through its own) reads back identically,
cell by cell and setting by setting."""
from __future__ import annotations

import datetime as dt

import openpyxl
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from openpyxl_reference import (
    apply_print_setup, fit_column_widths, fit_row_heights, merge_text, write_cell, write_header_row, write_title,
)

from flows.reports.excel_style import (
    AMOUNT_FORMAT, DATE_FORMAT, HEADER_FILL, HEADER_FONT, INPUT_FILL, RIGHT, TITLE_FONT, WRAP_CENTER,
)
from flows.reports.xlsx_writer import Book

HEADERS = ("序号", "姓名", "身份证号", "死亡日期", "金额", "说明", "核实结果")
ROWS = [
    (1, "张三", "500228********1234", dt.date(2019, 10, 3), 1234.5, "长文字" * 30, None),
    (2, "=HYPERLINK(\"http://x\")", " 前后空格 ", "2019-10", 0.1 + 0.2, "\r=1 第一行\n第二行", None),
    (3, "@SUM(A1)", "", None, 7, "Ω ａｂｃ 𠀀 mixed", None),
]


def _with_openpyxl(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "表"
    n = len(HEADERS)
    write_title(ws, 1, n, "标题")
    merge_text(ws, 2, 1, 3, "填报单位：某镇")
    merge_text(ws, 2, 4, n, "填报时间：", alignment=RIGHT)
    write_header_row(ws, 3, HEADERS)
    for r, values in enumerate(ROWS, start=4):
        for c, value in enumerate(values, start=1):
            cell = write_cell(ws, r, c, value, alignment=WRAP_CENTER if c in (1, 3) else RIGHT,
                              number_format={4: DATE_FORMAT, 5: AMOUNT_FORMAT}.get(c))
            if c == n:
                cell.fill = INPUT_FILL
    total = 7
    for c in range(1, n + 1):
        write_cell(ws, total, c, None)
    write_cell(ws, total, 1, "合计", font=HEADER_FONT, alignment=WRAP_CENTER)
    ws.merge_cells(start_row=total, start_column=1, end_row=total, end_column=3)
    fit_column_widths(ws, 3, 6, n, minimum={6: 30})
    fit_row_heights(ws, 3, 6, n)
    ws.column_dimensions["H"].width = 10
    ws.column_dimensions["H"].hidden = True
    validation = DataValidation(type="list", formula1='"属实,不属实"', allow_blank=True, showErrorMessage=True,
                                errorStyle="stop", errorTitle="核实结果填写有误", error="请选择。",
                                showInputMessage=True, promptTitle="核实结果", prompt="请选择：属实／不属实")
    validation.add("G4:G6")
    ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=4, column=1)
    apply_print_setup(ws, n_columns=n, last_row=total, title_rows="1:3", footer_left="保密")
    ws.oddFooter.right.text = "预填日期"
    ws.oddFooter.right.size = 9
    meta = wb.create_sheet("_meta")
    write_cell(meta, 1, 1, "kind", border=False)
    meta.sheet_state = "hidden"
    wb.properties.title = "文档标题"
    wb.properties.creator = "dibao-recon"
    wb.save(path)


def _with_writer(path):
    book = Book(title="文档标题")
    ws = book.add_sheet("表")
    n = len(HEADERS)
    ws.write_title(1, n, "标题")
    ws.merge_text(2, 1, 3, "填报单位：某镇")
    ws.merge_text(2, 4, n, "填报时间：", alignment=RIGHT)
    ws.write_header_row(3, HEADERS)
    for r, values in enumerate(ROWS, start=4):
        for c, value in enumerate(values, start=1):
            ws.write(r, c, value, alignment=WRAP_CENTER if c in (1, 3) else RIGHT,
                     number_format={4: DATE_FORMAT, 5: AMOUNT_FORMAT}.get(c), fill=INPUT_FILL if c == n else None)
    total = 7
    for c in range(1, n + 1):
        ws.write(total, c, None)
    ws.write(total, 1, "合计", font=HEADER_FONT, alignment=WRAP_CENTER)
    ws.merge(total, 1, 3)
    ws.fit_column_widths(3, 6, n, minimum={6: 30})
    ws.fit_row_heights(3, 6, n)
    ws.widths[8] = 10
    ws.hidden_columns.add(8)
    ws.add_list_validation(7, 4, 6, ("属实", "不属实"), title="核实结果", error="请选择。")
    ws.freeze_row = 4
    ws.print_setup(n_columns=n, last_row=total, title_rows="1:3", footer_left="保密")
    ws.footer["R"] = "预填日期"
    meta = book.add_sheet("_meta", hidden=True)
    meta.write(1, 1, "kind", border=False)
    book.save(path)


def _side(side):
    if side is None:
        return None
    return side.style, side.color.rgb if side.color is not None else None


def _pane(ws):
    view, pane = ws.sheet_view, ws.sheet_view.pane
    return (view.tabSelected, (pane.xSplit, pane.ySplit, pane.topLeftCell, pane.activePane, pane.state) if pane else None,
            [(s.pane, s.activeCell, s.sqref) for s in view.selection])


def _cell(c, quoted):
    return (c.coordinate, c.value, c.data_type, c.number_format, c.font.name, c.font.sz, c.font.b,
            c.fill.fill_type, c.fill.fgColor.rgb, c.alignment.horizontal, c.alignment.vertical,
            c.alignment.wrap_text, quoted,
            *map(_side, (c.border.left, c.border.right, c.border.top, c.border.bottom, c.border.diagonal)))


def _stored_cells(path):
    """Cells as stored, those under a merge too: a normal load restyles them from the merge's
    anchor, a read-only load leaves them as the file has them (and as Excel reads them)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [_cell(c, c.style_array.quotePrefix) for row in ws.iter_rows() for c in row
                       if c.value is not None or getattr(c, "has_style", False)] for ws in wb.worksheets}


def _stated_dimensions(path):
    """Each sheet's used range as its file states it: a read-only load (openpyxl's, pandas')
    sizes the rows it gives by it."""
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: ws.calculate_dimension() for ws in wb.worksheets}


def _read_back(path):
    wb = openpyxl.load_workbook(path)
    out = [(wb.properties.title, wb.properties.creator, wb.active.title), _stored_cells(path),
           _stated_dimensions(path)]
    for ws in wb.worksheets:
        cells = [_cell(c, c.quotePrefix) for row in ws.iter_rows() for c in row if c.value is not None or c.has_style]
        margins = ws.page_margins
        out.append((
            ws.title, ws.sheet_state, str(ws.freeze_panes), _pane(ws), sorted(map(str, ws.merged_cells.ranges)),
            [(str(v.sqref), v.formula1, v.type, v.allow_blank, v.showErrorMessage, v.showInputMessage, v.errorStyle,
              v.errorTitle, v.error, v.promptTitle, v.prompt) for v in ws.data_validations.dataValidation],
            (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight,
             ws.sheet_properties.pageSetUpPr.fitToPage, ws.print_options.horizontalCentered,
             (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer)),
            ws.print_title_rows, ws.print_area,
            [(part.text, part.size) for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right)],
            {k: (d.width, d.hidden) for k, d in ws.column_dimensions.items() if d.customWidth or d.hidden},
            {k: d.height for k, d in ws.row_dimensions.items() if d.height is not None},
            cells))
    return out


def test_the_writer_reads_back_as_openpyxl_writes(tmp_path):
    _with_openpyxl(tmp_path / "openpyxl.xlsx")
    _with_writer(tmp_path / "writer.xlsx")
    expected, got = _read_back(tmp_path / "openpyxl.xlsx"), _read_back(tmp_path / "writer.xlsx")
    assert got == expected
    sheet = got[3]
    cells = {cell[0]: cell for cell in sheet[-1]}
    assert cells["B5"][1] == '=HYPERLINK("http://x")' and cells["B5"][2] == "s" and cells["B5"][12]  # text, quoted
    assert cells["F5"][1] == "\r=1 第一行\n第二行"           # \r survives as a character, not a newline
    assert cells["C5"][1] == " 前后空格 "
    assert cells["D4"][1] == dt.datetime(2019, 10, 3)
    assert cells["C7"][14:17] == (("thin", "00000000"),) * 3  # merged under a frame: right, top, bottom edges
    assert got[4][1] == "hidden"


def test_a_title_row_taller_than_its_text_keeps_its_height(tmp_path):
    book = Book()
    ws = book.add_sheet("表")
    ws.write_title(1, 3, "短")
    ws.fit_row_heights(1, 1, 3)
    book.save(tmp_path / "t.xlsx")
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").active.row_dimensions[1].height == 30
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").properties.title is None


def test_merges_down_rows_fills_and_frozen_columns_read_back_as_openpyxl_writes(tmp_path):
    """附件4's header: cells merged down rows as well as across columns, every header cell
    filled (those under a merge too), and panes frozen on columns as well as rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "表"
    for row in (1, 2):
        write_header_row(ws, row, [""] * 5)
    for column, last_row, last_column, text in ((1, 2, 1, "乡镇"), (2, 1, 3, "基本情况"), (4, 3, 5, "三行两列")):
        write_cell(ws, 1, column, text, font=HEADER_FONT, alignment=WRAP_CENTER)
        ws.merge_cells(start_row=1, start_column=column, end_row=last_row, end_column=last_column)
    for row in (1, 2):
        for column in range(1, 6):
            ws.cell(row=row, column=column).fill = HEADER_FILL
    ws.freeze_panes = "C3"
    wb.create_sheet("列").freeze_panes = "B1"
    wb.properties.creator = "dibao-recon"
    wb.save(tmp_path / "openpyxl.xlsx")

    book = Book()
    ws = book.add_sheet("表")
    for row in (1, 2):
        ws.write_header_row(row, [""] * 5)
    for column, last_row, last_column, text in ((1, 2, 1, "乡镇"), (2, 1, 3, "基本情况"), (4, 3, 5, "三行两列")):
        ws.write(1, column, text, font=HEADER_FONT, alignment=WRAP_CENTER)
        ws.merge(1, column, last_column, last_row=last_row)
    for row in (1, 2):
        for column in range(1, 6):
            ws.set_fill(row, column, HEADER_FILL)
    ws.freeze_row, ws.freeze_column = 3, 3
    book.add_sheet("列").freeze_column = 2
    book.save(tmp_path / "writer.xlsx")

    expected, got = _read_back(tmp_path / "openpyxl.xlsx"), _read_back(tmp_path / "writer.xlsx")
    assert got == expected
    sheet = got[3]
    assert sheet[2] == "C3" and sheet[3][1] == (2, 2, "C3", "bottomRight", "frozen")
    assert [selection[0] for selection in sheet[3][2]] == ["topRight", "bottomLeft", "bottomRight"]
    assert sheet[4] == ["A1:A2", "B1:C1", "D1:E3"]
    stored = {cell[0]: cell for cell in got[1]["表"]}
    assert stored["A2"][1] is None and stored["A2"][8] == "00D9D9D9"         # covered, yet filled
    assert [side[0] for side in stored["A2"][13:17]] == ["thin", "thin", None, "thin"]   # left, right, bottom
    assert [side[0] for side in stored["E2"][13:17]] == [None, "thin", None, None]       # on the box's right edge
    assert stored["E3"][8] == "00000000"                                     # below the filled rows
    assert got[4][2] == "B1"


def test_text_merged_across_columns_wraps_in_their_width_both_ways(tmp_path):
    """A note merged across A:B is measured against A and B together: against A alone (6 wide)
    the 数据源检查 sheet's one-line note made a row 289 points tall."""
    note = "以下提示不影响比对结果的生成，但说明部分数据可能不完整，请核实后再据此停发或调整："
    wb = Workbook()
    ws = wb.active
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 6, 100
    merge_text(ws, 1, 1, 2, note)
    write_cell(ws, 2, 1, note)          # not merged: wraps in A's width
    fit_row_heights(ws, 1, 2, 2)
    wb.save(tmp_path / "openpyxl.xlsx")
    book = Book()
    sheet = book.add_sheet("Sheet")
    sheet.widths.update({1: 6, 2: 100})
    sheet.merge_text(1, 1, 2, note)
    sheet.write(2, 1, note)
    sheet.fit_row_heights(1, 2, 2)
    book.save(tmp_path / "writer.xlsx")
    heights = [{r: d.height for r, d in openpyxl.load_workbook(tmp_path / name).active.row_dimensions.items()}
               for name in ("openpyxl.xlsx", "writer.xlsx")]
    assert heights[0] == heights[1]
    assert heights[0][1] == 19 and heights[0][2] > 200
