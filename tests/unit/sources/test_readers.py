"""Reading registry files as they arrive: title rows, header variants, encodings, broken files.
Read as a run reads them (flows/sources/ingest.py), into an in-memory DuckDB."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers import frame

from flows import warehouse
from flows.config import load_settings
from flows.sources import ingest, readers
from flows.sources.kinds import REQUIRED_FIELDS
from flows.sources.readers import SourceFileError, cell_text, header_key

SETTINGS = load_settings()
ROSTER = SETTINGS.sources["roster"]
DEATHS = SETTINGS.sources["police_deaths"]
ROSTER_HEADER = list(ROSTER.columns.values())
DEATHS_HEADER = list(DEATHS.columns.values())

ID_A = "500228195001011237"  # valid, 男, 1950-01-01
ID_B = "11010519491231002X"  # valid, 女, 1949-12-31


def roster_row(name: str, id_number: object, **overrides) -> dict:
    row = {
        "区县": "梁平区", "乡镇（街道）": "回龙镇", "村（社区）": "天竺村", "户编号": "HL-001",
        "户主姓名": name, "户主身份证号": ID_A, "姓名": name, "身份证号码": id_number, "性别": "男",
        "出生日期": "1950-01-01", "与户主关系": "户主", "救助类型": "农村低保", "保障人数": "1",
        "个人月保障金额（元）": "400", "纳入年月": "2018-01", "渐退起始年月": "", "健康状况": "健康",
        "联系电话": "13800000000",
    }
    row.update(overrides)
    return row


@dataclass
class Sheet:
    sheet: str
    header_row: int
    cells: pd.DataFrame    # raw_<source>: one text column per field, _row, _id_number_is_number


@dataclass
class ReadFile:
    sha256: str
    encoding: str | None
    sheets: list[Sheet]
    rows: int


def read_file(path: Path, source) -> ReadFile:
    """One file through ingest.load_source, as a run reads it: its sheets and their cells."""
    con = warehouse.connect(":memory:")
    try:
        (read,) = ingest.load_source(con, source.name, [path], source.columns, REQUIRED_FIELDS[source.kind])
        cells = frame(con, f"select * from raw_{source.name} order by rowid")
    finally:
        con.close()
    sheets = [Sheet(layout["sheet"], layout["header_row"],
                    cells[cells["_sheet"] == layout["sheet"]].reset_index(drop=True)) for layout in read["layouts"]]
    return ReadFile(read["sha256"], read["encoding"], sheets, read["rows_read"])


def read_roster(path: Path) -> ReadFile:
    return read_file(path, ROSTER)


def write_roster_csv(path: Path, rows: list[dict], encoding: str, title_rows: int = 0) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        for _ in range(title_rows):
            handle.write("填报单位：回龙镇民政办\n")
        writer = csv.DictWriter(handle, fieldnames=ROSTER_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def titled_workbook(tmp_path) -> Path:
    """Two title rows, a blank row, a header with half-width brackets, data with a blank row inside."""
    path = tmp_path / "回龙镇低保名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "在册人员"
    ws.append(["填报单位：回龙镇民政和社会事务办"])  # row 1
    ws.append(["填报时间：2020年5月28日"])  # row 2
    ws.append([])  # row 3
    header = [h.replace("（", "(").replace("）", ")") for h in ROSTER_HEADER]  # 乡镇(街道), 金额(元) …
    assert "乡镇(街道)" in header and "个人月保障金额(元)" in header
    ws.append(header)  # row 4
    first = roster_row("张三", int(ID_A), **{"出生日期": dt.datetime(1950, 1, 1), "保障人数": 1, "个人月保障金额（元）": 400})
    ws.append([first[h] for h in ROSTER_HEADER])  # row 5: ID typed as a number
    ws.append([])  # row 6: blank
    second = roster_row("李梅", ID_B, **{"出生日期": dt.datetime(1949, 12, 31, 8, 30), "户编号": "HL-002"})
    ws.append([second[h] for h in ROSTER_HEADER])  # row 7: ID as text
    wb.save(path)
    return path


def test_header_with_bracket_width_variants_is_found_below_title_rows(titled_workbook):
    source = read_roster(titled_workbook)
    assert len(source.sheets) == 1
    sheet = source.sheets[0]
    assert sheet.sheet == "在册人员"
    assert sheet.header_row == 4
    # Every configured column was found despite 乡镇(街道) vs 乡镇（街道）.
    assert list(sheet.cells["township"]) == ["回龙镇", "回龙镇"]
    assert list(sheet.cells["monthly_amount"]) == ["400", "400"]


def test_row_numbers_are_the_spreadsheet_rows_and_blank_rows_are_skipped(titled_workbook):
    sheet = read_roster(titled_workbook).sheets[0]
    assert list(sheet.cells["name"]) == ["张三", "李梅"]
    assert list(sheet.cells["_row"]) == [5, 7]
    assert read_roster(titled_workbook).rows == 2


def test_id_typed_as_a_number_cell_is_flagged_in_numeric_cells(titled_workbook):
    sheet = read_roster(titled_workbook).sheets[0]
    assert list(sheet.cells["_id_number_is_number"]) == [True, False]
    assert sheet.cells.loc[1, "id_number"] == ID_B
    # The number cell's text has no float tail (no ".0", no "E+17").
    assert sheet.cells.loc[0, "id_number"].isdigit()


def test_excel_date_cells_come_back_as_iso_text(titled_workbook):
    sheet = read_roster(titled_workbook).sheets[0]
    assert sheet.cells.loc[0, "birth_date"] == "1950-01-01"
    assert sheet.cells.loc[1, "birth_date"] == "1949-12-31 08:30:00"


def test_number_cells_read_as_plain_integers(titled_workbook):
    sheet = read_roster(titled_workbook).sheets[0]
    assert sheet.cells.loc[0, "household_size"] == "1"
    assert sheet.cells.loc[0, "monthly_amount"] == "400"


def test_file_hash_and_encoding_are_recorded(titled_workbook):
    source = read_roster(titled_workbook)
    assert source.sha256 == hashlib.sha256(titled_workbook.read_bytes()).hexdigest()
    assert source.encoding is None


def test_gb18030_csv_is_read(tmp_path):
    path = write_roster_csv(tmp_path / "gbk.csv", [roster_row("张三", ID_A), roster_row("欧阳·娜娜", ID_B)],
                            "gb18030", title_rows=1)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # otherwise this test would prove nothing
    source = read_roster(path)
    assert source.encoding == "gb18030"
    sheet = source.sheets[0]
    assert sheet.header_row == 2
    assert list(sheet.cells["name"]) == ["张三", "欧阳·娜娜"]
    assert list(sheet.cells["village"]) == ["天竺村", "天竺村"]
    assert list(sheet.cells["_row"]) == [3, 4]


def test_utf8_bom_csv_is_read_and_the_bom_does_not_hide_the_first_header(tmp_path):
    path = write_roster_csv(tmp_path / "bom.csv", [roster_row("张三", ID_A)], "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    source = read_roster(path)
    assert source.encoding == "utf-8-sig"
    sheet = source.sheets[0]
    assert sheet.header_row == 1
    assert sheet.cells.loc[0, "county"] == "梁平区"  # 区县 is the first column, right after the BOM
    assert sheet.cells.loc[0, "name"] == "张三"


def test_plain_utf8_csv_is_read_with_text_cells_never_numeric(tmp_path):
    path = write_roster_csv(tmp_path / "plain.csv", [roster_row("张三", ID_A), roster_row("李梅", ID_B)], "utf-8")
    source = read_roster(path)
    assert source.encoding == "utf-8"
    sheet = source.sheets[0]
    assert sheet.sheet == ""
    assert list(sheet.cells["id_number"]) == [ID_A, ID_B]
    assert list(sheet.cells["_row"]) == [2, 3]
    assert not sheet.cells["_id_number_is_number"].any()
    assert sheet.cells.loc[0, "gradual_exit_month"] is None  # empty cell -> None


def test_header_with_inner_spaces_and_full_width_brackets_in_csv(tmp_path):
    path = tmp_path / "spaced.csv"
    header = [h.replace("（", " (").replace("）", ") ") for h in DEATHS_HEADER]
    header[0] = "姓 名"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, ["张三", ID_A, "男", "1950-01-01", "2020-01-15", "", "", "", ""]])
    sheet = read_file(path, DEATHS).sheets[0]
    assert sheet.cells.loc[0, "name"] == "张三"
    assert sheet.cells.loc[0, "death_date"] == "2020-01-15"


def test_missing_optional_column_reads_as_empty(tmp_path):
    path = tmp_path / "no_phone.csv"
    header = [h for h in ROSTER_HEADER if h != "联系电话"]
    row = roster_row("张三", ID_A)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, [row[h] for h in header]])
    sheet = read_roster(path).sheets[0]
    assert sheet.cells.loc[0, "phone"] is None
    assert sheet.cells.loc[0, "name"] == "张三"


def test_file_without_a_recognisable_header_raises_an_error_naming_the_file(tmp_path):
    path = tmp_path / "天竺村名册.csv"
    path.write_text("填报单位：回龙镇\n序号,名字,号码\n1,张三,500228195001011237\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="天竺村名册.csv") as info:
        read_roster(path)
    assert "表头" in str(info.value)


def test_corrupt_xlsx_raises_an_error_naming_the_file(tmp_path):
    path = tmp_path / "损坏的名册.xlsx"
    path.write_bytes(random.Random(11643).randbytes(4096))
    with pytest.raises(SourceFileError, match="损坏的名册.xlsx") as info:
        read_roster(path)
    assert "Excel" in str(info.value)


def test_empty_xlsx_file_raises_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    with pytest.raises(SourceFileError, match="empty.xlsx"):
        read_roster(path)


def test_missing_file_and_unknown_format_raise_source_file_errors(tmp_path):
    with pytest.raises(SourceFileError, match="nowhere.xlsx"):
        read_roster(tmp_path / "nowhere.xlsx")
    other = tmp_path / "roster.pdf"
    other.write_bytes(b"%PDF-1.4")
    with pytest.raises(SourceFileError, match="roster.pdf"):
        read_roster(other)


def test_every_sheet_that_has_the_header_is_read(tmp_path):
    path = tmp_path / "multi.xlsx"
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["请按要求填写，身份证号码列设为文本格式"])
    for title, names in (("天竺村", ["张三", "李梅"]), ("金带村", ["王五"])):
        ws = wb.create_sheet(title)
        ws.append([f"{title}低保名册"])
        ws.append(ROSTER_HEADER)
        for name in names:
            row = roster_row(name, ID_A, **{"村（社区）": title})
            ws.append([row[h] for h in ROSTER_HEADER])
    wb.save(path)
    source = read_roster(path)
    assert [s.sheet for s in source.sheets] == ["天竺村", "金带村"]
    assert [list(s.cells["name"]) for s in source.sheets] == [["张三", "李梅"], ["王五"]]
    assert [s.header_row for s in source.sheets] == [2, 2]
    assert list(source.sheets[1].cells["village"]) == ["金带村"]
    assert source.rows == 3


def test_header_key_ignores_width_and_spaces():
    assert header_key("乡镇(街道)") == header_key("乡镇（街道）") == header_key(" 乡镇 （街道） ")
    assert header_key(None) == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("  ", None),
        (float("nan"), None),
        (400.0, "400"),
        (400.5, "400.5"),
        (1, "1"),
        (dt.date(2020, 5, 1), "2020-05-01"),
        (dt.datetime(2020, 5, 1), "2020-05-01"),
        (dt.datetime(2020, 5, 1, 8, 30), "2020-05-01 08:30:00"),
        (" 张三 ", "张三"),
    ],
)
def test_cell_text_is_what_a_person_sees(value, text):
    assert cell_text(value) == text


def test_the_probe_reads_an_xlsx_header_from_its_first_rows_as_calamine_does(tmp_path):
    """The CLI's probe streams the first rows' XML instead of loading whole sheets; it finds
    the header calamine finds, under title rows, in shared, inline and rich-text strings."""
    import xlsxwriter

    from flows.sources.readers import HEADER_SCAN_ROWS, _find_header, _xlsx_grids, _xlsx_heads, probe_source_file

    wanted = {field: header_key(header) for field, header in ROSTER.columns.items()}
    path = tmp_path / "roster.xlsx"
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "本表为花名册")
    sheet = book.add_worksheet("花名册")
    sheet.write(0, 0, "梁平区低保花名册")
    sheet.write(1, 2, 12345)
    bold = book.add_format({"bold": True})
    for col, header in enumerate(ROSTER_HEADER):
        if col == 1:
            sheet.write_rich_string(3, col + 1, bold, header[:1], header[1:])   # rich text runs
        else:
            sheet.write(3, col + 1, header)
    for row in range(4, HEADER_SCAN_ROWS + 50):
        sheet.write_row(row, 1, list(roster_row(f"张{row}", ID_A).values()))
    book.close()

    heads = _xlsx_heads(path)
    fast = [_find_header(grid, wanted, REQUIRED_FIELDS["roster"]) for grid in heads]
    slow = [_find_header(grid, wanted, REQUIRED_FIELDS["roster"]) for _, grid in _xlsx_grids(path)]
    assert sorted(fast, key=str) == sorted(slow, key=str) and any(fast)
    assert all(len(grid) <= HEADER_SCAN_ROWS for grid in heads)
    probe_source_file(path, ROSTER.columns, REQUIRED_FIELDS["roster"])

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert _xlsx_heads(broken) == []
    with pytest.raises(SourceFileError, match="无法作为 Excel 工作簿打开"):
        probe_source_file(broken, ROSTER.columns, REQUIRED_FIELDS["roster"])


def _read_all(paths: list[Path], scratch: Path | None = None) -> tuple[list[dict], pd.DataFrame]:
    con = warehouse.connect(":memory:")
    try:
        read = ingest.load_source(con, ROSTER.name, paths, ROSTER.columns, REQUIRED_FIELDS[ROSTER.kind], scratch)
        return read, frame(con, f"select * from raw_{ROSTER.name} order by rowid")
    finally:
        con.close()


def _mixed_inputs(folder: Path) -> list[Path]:
    paths = []
    for number in range(4):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(ROSTER_HEADER)
        for row in range(number + 1):
            person = roster_row(f"村民{number}{row}", ID_A, **{"户编号": f"H{number}-{row}"})
            ws.append([person[h] for h in ROSTER_HEADER])
        paths.append(folder / f"镇{number}_名册.xlsx")
        wb.save(paths[-1])
    paths.insert(2, write_roster_csv(folder / "镇_名册.csv", [roster_row("王五", ID_B)], "gb18030"))
    paths.insert(3, write_roster_csv(folder / "乡_名册.csv", [roster_row("赵六", ID_A), roster_row("钱七", ID_B)],
                                     "gb18030"))
    return paths


def _two_sheet_roster(path: Path, title_row: str | None = None) -> Path:
    """A roster of two sheets (2 and 3 people), each with `title_row` above its header when given."""
    wb = openpyxl.Workbook()
    for title, names in (("一组", ["甲", "乙"]), ("二组", ["丙", "丁", "戊"])):
        ws = wb.create_sheet(title)
        if title_row:
            ws.append([title_row])
        ws.append(ROSTER_HEADER)
        for name in names:
            ws.append([roster_row(name, ID_B)[h] for h in ROSTER_HEADER])
    del wb["Sheet"]
    wb.save(path)
    return path


def test_files_prepared_ahead_give_the_rows_of_reading_in_order(tmp_path, monkeypatch):
    """A background thread parses the next workbooks and re-encodes the next GB18030 files
    while one's rows go into DuckDB (ingest._prepared_ahead): the same rows, in the same
    order, as one file at a time; no UTF-8 copy is left beside the warehouse."""
    inputs, work = tmp_path / "in", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    paths = _mixed_inputs(inputs)
    ahead = _read_all(paths, work / ".w.duckdb.run-1")
    monkeypatch.setattr(ingest, "READ_AHEAD", 0)
    in_order = _read_all(paths)
    assert [r["rows_read"] for r in ahead[0]] == [r["rows_read"] for r in in_order[0]] == [1, 2, 1, 2, 3, 4]
    assert [r["encoding"] for r in ahead[0]] == [None, None, "gb18030", "gb18030", None, None]
    pd.testing.assert_frame_equal(ahead[1], in_order[1])
    assert list(work.iterdir()) == []


def test_workbooks_parsed_in_worker_processes_give_the_rows_of_the_thread(tmp_path, monkeypatch):
    """A source of large workbooks is parsed in PARSE_WORKERS processes (ingest._prepared_ahead):
    the same rows in the same order, the same lineage, and a workbook without a header stops
    the read at its turn with the same message."""
    inputs, work = tmp_path / "in", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    paths = _mixed_inputs(inputs) + [_two_sheet_roster(inputs / "两组_名册.xlsx", title_row="填报单位：某镇")]
    in_thread = _read_all(paths, work / ".w.duckdb.run-1")
    monkeypatch.setattr(ingest, "PROCESS_MIN_BYTES", 0)
    in_processes = _read_all(paths, work / ".w.duckdb.run-1")
    assert in_processes[0] == in_thread[0]
    assert [r["rows_read"] for r in in_processes[0]] == [1, 2, 1, 2, 3, 4, 5]
    assert in_processes[0][-1]["layouts"][1] == {"sheet": "二组", "header_row": 2,
                                                 "columns": in_thread[0][-1]["layouts"][1]["columns"]}
    pd.testing.assert_frame_equal(in_processes[1], in_thread[1])
    assert list(work.iterdir()) == []

    headless = inputs / "c_无表头.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "备注"])
    wb.save(headless)
    with pytest.raises(SourceFileError, match="c_无表头.xlsx 中找不到表头"):
        _read_all(paths[:2] + [headless] + paths[2:], work / ".w.duckdb.run-1")
    assert list(work.iterdir()) == []


def test_workbooks_batched_into_one_statement_or_split_across_several_give_the_same_rows(tmp_path, monkeypatch):
    """ingest._SheetBatch: several workbooks per statement, a CSV flushing what waits; a
    batch that fills in the middle of a workbook splits it across two statements.  Either
    way the rows, their order and each file's rows_read are those of a batch per file."""
    paths = _mixed_inputs(tmp_path) + [_two_sheet_roster(tmp_path / "两组_名册.xlsx")]
    monkeypatch.setattr(ingest._SheetBatch, "ROWS", 1)       # every sheet its own statement
    one_each = _read_all(paths)
    monkeypatch.setattr(ingest._SheetBatch, "ROWS", 10_000)  # the workbooks before a CSV together
    together = _read_all(paths)
    monkeypatch.setattr(ingest._SheetBatch, "ROWS", 9)       # fills after the two-sheet workbook's first sheet
    split = _read_all(paths)
    for read, rows in (together, split):
        assert [r["rows_read"] for r in read] == [r["rows_read"] for r in one_each[0]] == [1, 2, 1, 2, 3, 4, 5]
        assert [r["sheets"] for r in read] == [1, 1, 1, 1, 1, 1, 2]
        pd.testing.assert_frame_equal(rows, one_each[1])


def test_a_failed_read_leaves_no_utf8_copy_of_files_decoded_ahead(tmp_path):
    inputs, work = tmp_path / "in", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    paths = _mixed_inputs(inputs)
    broken = inputs / "b_名册.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SourceFileError, match="b_名册.xlsx 无法作为 Excel 工作簿打开"):
        _read_all([paths[0], broken] + paths[1:], work / ".w.duckdb.run-1")   # the CSVs were decoded ahead
    assert list(work.iterdir()) == []


def test_a_broken_workbook_parsed_ahead_stops_the_read_at_its_turn(tmp_path):
    good = tmp_path / "a_名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(ROSTER_HEADER)
    wb.active.append([roster_row("张三", ID_A)[h] for h in ROSTER_HEADER])
    wb.save(good)
    broken = tmp_path / "b_名册.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SourceFileError, match="b_名册.xlsx 无法作为 Excel 工作簿打开"):
        _read_all([good, broken, good])


def test_a_csv_utf8_only_in_its_first_megabyte_is_read_whole_as_gb18030(tmp_path):
    """The encoding is probed on the first megabyte; bytes past it that are not UTF-8 send
    the whole file through the GB18030 path (re-encoded to a UTF-8 copy, removed after)."""
    columns = {field: field for field in ("village", "household_id", "name", "id_number", "monthly_amount")}
    lines = [",".join(columns)]
    while sum(len(line) + 1 for line in lines) <= readers.PROBE_BYTES:
        lines.append(f"V{len(lines)},H{len(lines)},Name{len(lines)},{ID_A},300")
    path = tmp_path / "roster.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("ascii") + f"天竺村,H0,张三,{ID_B},300\n".encode("gb18030"))
    work = tmp_path / "work"
    work.mkdir()
    con = warehouse.connect(":memory:")
    try:
        read = ingest.load_source(con, "roster", [path], columns, REQUIRED_FIELDS["roster"], work / ".w.duckdb.run-1")
        last = con.execute("select village, name, _row from raw_roster order by rowid desc limit 1").fetchone()
    finally:
        con.close()
    assert read[0]["encoding"] == "gb18030" and read[0]["rows_read"] == len(lines)
    assert last == ("天竺村", "张三", len(lines) + 1)
    assert list(work.iterdir()) == []


def test_a_csv_files_rows_read_are_the_rows_it_appended_blank_lines_and_rows_aside(tmp_path):
    """rows_read is DuckDB's count of the file's insert: empty lines (which shift the record
    numbers) and rows with no mapped cell are not rows; two files are counted apart."""
    columns = {field: field for field in ("village", "household_id", "name", "id_number", "monthly_amount")}
    header = ",".join(columns)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(f"{header}\n天竺村,H1,张三,{ID_A},300\n\n天竺村,H2,李梅,{ID_B},300\n,,,,\n", encoding="utf-8")
    second.write_text(f"{header}\n天竺村,H3,王五,{ID_A},300\n", encoding="gb18030")
    con = warehouse.connect(":memory:")
    try:
        read = ingest.load_source(con, "roster", [first, second], columns, REQUIRED_FIELDS["roster"],
                                  tmp_path / ".w.duckdb.run-1")
        rows = con.execute("select name, _row, _file from raw_roster order by rowid").fetchall()
    finally:
        con.close()
    assert [r["rows_read"] for r in read] == [2, 1]
    assert rows == [("张三", 2, "a.csv"), ("李梅", 4, "a.csv"), ("王五", 2, "b.csv")]
