"""What a registry file's start says about reading it: format, CSV encoding and dialect,
the header row and which column feeds which field; and an xlsx sheet's cells as the
Python values a person sees.

Readers know file formats, encodings and header rows, nothing about rules.  The one
engine that loads a file (flows/sources/ingest.py) and the CLI's probe both ask here, so
`dibao check`, the probe and `dibao run` read a file identically.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import iterparse

from python_calamine import CalamineError, CalamineWorkbook

from flows.errors import SourceFileError  # noqa: F401 (raised here; callers import it from either)

HEADER_SCAN_ROWS = 30
PROBE_BYTES = 1 << 20
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls")
UNKNOWN_ENCODING = "文件 {name} 的编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），请另存为 UTF-8 编码的 CSV 后重试。"


@dataclass
class CsvLayout:
    """What the first lines of a CSV file say about reading the rest."""

    encoding: str           # utf-8 | utf-8-sig | gb18030
    dialect: type[csv.Dialect] | csv.Dialect
    header_index: int       # 0-based record number of the header
    header_lines: int       # physical lines up to and including the header
    positions: dict[str, int]


def header_key(text: object) -> str:
    """Headers compared without spaces, width or bracket style: 乡镇(街道) == 乡镇（街道）."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def csv_layout(path: Path, columns: dict[str, str], required: tuple[str, ...], *,
               encoding: str | None = None) -> CsvLayout:
    """Encoding, dialect and header of a CSV file from its first megabyte: UTF-8 (with or
    without BOM), else GB18030 (a superset of GBK)."""
    with path.open("rb") as handle:
        head = handle.read(PROBE_BYTES)
    complete = len(head) < PROBE_BYTES
    text = None
    for candidate in ((encoding,) if encoding else ("utf-8-sig", "gb18030")):
        try:
            # A character cut at the end of the sample is not an error.
            text = codecs.getincrementaldecoder(candidate)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        encoding = candidate
        break
    if text is None:
        raise SourceFileError(UNKNOWN_ENCODING.format(name=path.name))
    if encoding == "utf-8-sig" and not head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8"
    try:
        dialect = csv.Sniffer().sniff(text[:20000], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    grid, lines = [], []
    for record in reader:
        grid.append(record)
        lines.append(reader.line_num)
        if len(grid) >= HEADER_SCAN_ROWS:
            break
    wanted = {field: header_key(header) for field, header in columns.items()}
    found = _find_header(grid, wanted, required)
    if found is None:
        raise _no_header(path, columns, required)
    index, positions = found
    return CsvLayout(encoding, dialect, index, lines[index], positions)


def check_readable(path: Path) -> None:
    """A missing file or one that is neither xlsx nor CSV, in the words a clerk reads."""
    if not path.is_file():
        raise SourceFileError(f"找不到文件：{path}")
    if path.suffix.lower() not in XLSX_SUFFIXES + CSV_SUFFIXES:
        raise SourceFileError(f"文件 {path.name} 的格式无法识别（应为 .xlsx 或 .csv）")


def _no_header(path: Path, columns: dict[str, str], required: tuple[str, ...]) -> SourceFileError:
    headers = "、".join(columns[f] for f in required)
    return SourceFileError(
        f"文件 {path.name} 中找不到表头：前{HEADER_SCAN_ROWS}行没有同时包含「{headers}」的行。"
        "请检查列名是否与配置文件一致，或在配置文件中修改列名映射。"
    )


def probe_source_file(path: Path, columns: dict[str, str], required: tuple[str, ...]) -> None:
    """Raise the SourceFileError a run would raise for a file that cannot be read at all
    (missing, not xlsx/csv, corrupt, unknown encoding, no header), reading only its start:
    the CLI checks every input this way before Prefect starts."""
    check_readable(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        csv_layout(path, columns, required)    # the run's own decoder: raises what the run would
        return
    wanted = {field: header_key(header) for field, header in columns.items()}
    if suffix in (".xlsx", ".xlsm") and any(_find_header(grid, wanted, required) for grid in _xlsx_heads(path)):
        return    # the usual case, from the first rows' XML; anything else is read the slow way
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        grids = [workbook.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
                 for name in workbook.sheet_names]
    except (CalamineError, OSError, ValueError) as exc:
        raise SourceFileError(
            f"文件 {path.name} 无法作为 Excel 工作簿打开（{type(exc).__name__}）。"
            "请确认文件未损坏、未加密，并另存为 .xlsx 后重试。") from exc
    if not any(_find_header(grid, wanted, required) for grid in grids):
        raise _no_header(path, columns, required)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _xlsx_heads(path: Path) -> list[list[list[object]]]:
    """The first HEADER_SCAN_ROWS rows of each sheet, text cells only, streamed from the
    xlsx's XML: calamine would parse every row of every sheet (11 s for a city's 380
    rosters, before the run can start).  Empty when the file is not a plain xlsx;
    probe_source_file then asks calamine, which also says what is wrong."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            heads = [_sheet_head(archive, name) for name in names
                     if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)]
            needed = max((int(v) for head in heads for _, _, kind, v in head if kind == "s"), default=-1)
            shared = _shared_strings(archive, needed) if needed >= 0 and "xl/sharedStrings.xml" in names else []
            grids = []
            for head in heads:
                grid: list[list[object]] = []
                for row, col, kind, value in head:
                    while len(grid) < row:
                        grid.append([])
                    cells = grid[row - 1]
                    cells.extend([None] * (col + 1 - len(cells)))
                    cells[col] = shared[int(value)] if kind == "s" else value
                grids.append(grid)
            return grids
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, IndexError, SyntaxError):
        return []


def _sheet_head(archive, name: str) -> list[tuple[int, int, str, str]]:
    """(row, column, 's' or 'text', shared-string index or text) of the text cells in the
    sheet's first HEADER_SCAN_ROWS rows."""
    cells = []
    with archive.open(name) as stream:
        for _, element in iterparse(stream):
            if element.tag == _MAIN + "c":
                match = _CELL_REF.fullmatch(element.get("r", ""))
                kind = element.get("t")
                if match and int(match.group(2)) <= HEADER_SCAN_ROWS and kind in ("s", "inlineStr", "str"):
                    if kind == "inlineStr":
                        found = element.find(_MAIN + "is")
                        value = _string_item(found) if found is not None else None
                    else:
                        found = element.find(_MAIN + "v")
                        value = found.text if found is not None else None
                    if value is not None:
                        cells.append((int(match.group(2)), _column_index(match.group(1)),
                                      "s" if kind == "s" else "text", value))
                element.clear()
            elif element.tag == _MAIN + "row":
                number = int(element.get("r") or 0)
                element.clear()
                if number >= HEADER_SCAN_ROWS:
                    break
    return cells


def _shared_strings(archive, last: int) -> list[str]:
    """The shared strings up to index `last` (a header's are among the first)."""
    strings = []
    with archive.open("xl/sharedStrings.xml") as stream:
        for _, element in iterparse(stream):
            if element.tag == _MAIN + "si":
                strings.append(_string_item(element))
                element.clear()
                if len(strings) > last:
                    break
    return strings


def _string_item(item) -> str:
    """The text of an <si> or <is>: its <t>, or its rich-text runs' (not phonetic hints)."""
    parts = item.findall(_MAIN + "t") or item.findall(f"{_MAIN}r/{_MAIN}t")
    return "".join(t.text or "" for t in parts)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _xlsx_grids(path: Path) -> list[tuple[str, list[list[object]]]]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return [
            (name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in workbook.sheet_names
        ]
    except (CalamineError, OSError, ValueError) as exc:
        raise SourceFileError(
            f"文件 {path.name} 无法作为 Excel 工作簿打开（{type(exc).__name__}）。"
            "请确认文件未损坏、未加密，并另存为 .xlsx 后重试。"
        ) from exc


def _find_header(grid: list[list[object]], wanted: dict[str, str], required: tuple[str, ...]):
    best = None
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        keys = [header_key(cell) for cell in row]
        positions = {field: keys.index(key) for field, key in wanted.items() if key in keys}
        if all(field in positions for field in required) and (
            best is None or len(positions) > len(best[1])
        ):
            best = (index, positions)
    return best


def cell_text(value: object) -> str | None:
    """The text a person would see in the cell; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None
