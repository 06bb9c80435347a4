"""Load every file of one source into raw_<source>, straight into DuckDB.

A CSV file is read by DuckDB's own reader once its header row is found (by name, in
the first lines, as `readers` does); a GB18030/GBK file is first re-encoded to a UTF-8
scratch file beside the working warehouse in one streaming pass (1 MB blocks; faster
than loading DuckDB's `encodings` extension, which costs ≈ 9 s per connection), and that
file is deleted after.  An xlsx sheet goes through python-calamine (`readers`) and is
handed to DuckDB as one Arrow table per sheet.

raw_<source> holds one text column per mapped field (stripped as `readers.cell_text`
does, NULL when empty), `_row` (1-based row number in the file or sheet), `_file`,
`_sheet` and `_id_number_is_number`; blank rows are skipped.
"""
from __future__ import annotations

import codecs
import csv
import io
import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from flows import warehouse
from flows.errors import SourceFileError
from flows.sources.readers import (HEADER_SCAN_ROWS, PROBE_BYTES, _find_header, _no_header, _xlsx_grids,
                                   cell_text, file_sha256, header_key)

CSV_SUFFIXES = (".csv", ".txt")
DECODE_BLOCK = 1 << 20
UNKNOWN_ENCODING = "文件 {name} 的编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），请另存为 UTF-8 编码的 CSV 后重试。"


class NotUtf8(Exception):
    """DuckDB found bytes that are not UTF-8 past the part of the file that was probed."""


@dataclass
class CsvLayout:
    """What the first lines of a CSV file say about reading the rest."""

    encoding: str           # utf-8 | utf-8-sig | gb18030
    dialect: type[csv.Dialect] | csv.Dialect
    header_index: int       # 0-based record number of the header
    header_lines: int       # physical lines up to and including the header
    positions: dict[str, int]


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def run_template(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, /, **fragments: str) -> None:
    """Run sql/<name>.sql with `{fragment}`s filled in (identifiers and column lists that
    depend on a source's mapped fields) and values bound as $parameters."""
    text = warehouse.sql_text(name)
    text = text.format(**fragments) if fragments else text
    try:
        con.execute(text, warehouse._used_params(text, params))
    except duckdb.Error as exc:
        raise warehouse._sql_error(name, exc) from None


def load_source(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], columns: dict[str, str],
                required: tuple[str, ...], scratch: Path) -> list[dict]:
    """Create raw_<name> from `files`; returns per file (path, sha256, encoding, sheets, rows).
    `scratch` is the working warehouse's path: a GB18030 file's UTF-8 copy is written beside it."""
    raw = ident(f"raw_{name}")
    fields = list(columns)
    run_template(con, "sources/cell_macros")
    run_template(con, "sources/raw_table", raw=raw, columns=", ".join(f"{ident(f)} varchar" for f in fields))
    read = []
    for path in files:
        before = _count(con, raw)
        if path.suffix.lower() in CSV_SUFFIXES:
            encoding, sheets = _load_csv(con, raw, path, columns, required, scratch), 1
        else:
            encoding, sheets = None, _load_xlsx(con, raw, path, columns, required)
        read.append({"path": path, "sha256": file_sha256(path), "encoding": encoding, "sheets": sheets,
                     "rows_read": _count(con, raw) - before})
    return read


def _count(con, raw: str) -> int:
    return con.execute(f"select count(*) from {raw}").fetchone()[0]


# ---------------------------------------------------------------- xlsx

def _load_xlsx(con, raw: str, path: Path, columns: dict[str, str], required: tuple[str, ...]) -> int:
    """Every sheet whose header names the required fields, one Arrow table per sheet.
    Python touches each mapped cell once, in a list comprehension: text cells pass as they
    are (stripped in SQL by cell_text), only numbers and dates are formatted in Python."""
    fields = list(columns)
    wanted = {field: header_key(header) for field, header in columns.items()}
    sheets = 0
    for sheet_name, grid in _xlsx_grids(path):
        found = _find_header(grid, wanted, required)
        if found is None:
            continue
        header_index, positions = found
        body = grid[header_index + 1:]
        arrays = {}
        for i, field in enumerate(fields):
            values = _column(body, positions.get(field))
            arrays[f"f{i}"] = pa.array([v if v.__class__ is str or v is None else cell_text(v) for v in values],
                                       pa.string())
            if field == "id_number":
                arrays["_is_number"] = pa.array([v.__class__ in (int, float) for v in values], pa.bool_())
        first = header_index + 2
        arrays["_row"] = pa.array(range(first, first + len(body)), pa.int64())
        con.register("_sheet_cells", pa.table(arrays))
        try:
            _append(con, raw, "_sheet_cells", fields, path.name, sheet_name,
                    row_expr="c._row", is_number="c._is_number", strip=True)
        finally:
            con.unregister("_sheet_cells")
        sheets += 1
    if not sheets:
        raise _no_header(path, columns, required)
    return sheets


def _column(body: list[list[object]], index: int | None) -> list[object]:
    if index is None:
        return [None] * len(body)
    return [row[index] if index < len(row) else None for row in body]


def _append(con, raw: str, cells_table: str, fields: list[str], file: str, sheet: str, *,
            row_expr: str, is_number: str = "false", row_join: str = "", strip: bool = False) -> None:
    cells = [f"cell_text(c.f{i})" if strip else f"c.f{i}" for i in range(len(fields))]
    run_template(con, "sources/raw_rows", {"file": file, "sheet": sheet}, raw=raw, cells_table=cells_table,
                 fields=", ".join(cells), row_expr=row_expr, row_join=row_join, is_number=is_number,
                 filled=f"coalesce({', '.join(cells)}) is not null")


# ---------------------------------------------------------------- csv

def csv_layout(path: Path, columns: dict[str, str], required: tuple[str, ...], *,
               encoding: str | None = None) -> CsvLayout:
    """Encoding, dialect and header of a CSV file from its first megabyte."""
    with path.open("rb") as handle:
        head = handle.read(PROBE_BYTES)
    complete = len(head) < PROBE_BYTES
    text = None
    for candidate in ((encoding,) if encoding else ("utf-8-sig", "gb18030")):
        try:
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


def _load_csv(con, raw: str, path: Path, columns: dict[str, str], required: tuple[str, ...], scratch: Path) -> str:
    layout = csv_layout(path, columns, required)
    if layout.encoding != "gb18030":
        try:
            _read_csv(con, raw, path, path, layout, columns)
            return layout.encoding
        except NotUtf8:
            pass
        # Valid UTF-8 at the start only: the whole file is read as GB18030, as readers does.
        layout = csv_layout(path, columns, required, encoding="gb18030")
    # Named after the working warehouse (.<db>.run-<pid>…): a killed run's copy is cleared
    # with the working copy by warehouse.clear_stale_copies.
    utf8 = scratch.with_name(f"{scratch.name}.utf8-csv")
    try:
        _reencode(path, utf8, "gb18030")
        _read_csv(con, raw, path, utf8, layout, columns)
    finally:
        utf8.unlink(missing_ok=True)
    return "gb18030"


def _reencode(path: Path, target: Path, encoding: str) -> None:
    """GB18030 -> UTF-8 in 1 MB blocks; the scratch file is readable by its owner only."""
    decoder = codecs.getincrementaldecoder(encoding)()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with path.open("rb") as source, os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            for block in iter(lambda: source.read(DECODE_BLOCK), b""):
                out.write(decoder.decode(block))
            out.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise SourceFileError(UNKNOWN_ENCODING.format(name=path.name)) from None


def _read_csv(con, raw: str, path: Path, utf8: Path, layout: CsvLayout, columns: dict[str, str]) -> None:
    fields = list(columns)
    width = max(layout.positions.values()) + 1
    cells = [f"cell_text(column{layout.positions[f]:02d}) as f{i}" if f in layout.positions
             else f"null::varchar as f{i}" for i, f in enumerate(fields)]
    dialect = layout.dialect
    escape = dialect.quotechar if dialect.doublequote or not dialect.escapechar else dialect.escapechar
    names = ", ".join(f"'column{i:02d}': 'VARCHAR'" for i in range(width))
    options = (f"{warehouse.sql_literal(str(utf8))}, skip = {layout.header_lines}, "
               f"delim = {warehouse.sql_literal(dialect.delimiter)}, quote = {warehouse.sql_literal(dialect.quotechar or '')}, "
               f"escape = {warehouse.sql_literal(escape or '')}, columns = {{{names}}}")
    text = warehouse.sql_text("sources/csv_cells").format(table="_csv_cells", cells=", ".join(cells),
                                                        csv_options=options + ", parallel = true")
    try:
        con.execute(text)
    except duckdb.Error as exc:
        if "unicode" in str(exc).lower():
            raise NotUtf8 from None
        # DuckDB's parallel reader refuses padded rows together with quoted line breaks.
        run_template(con, "sources/csv_cells", table="_csv_cells", cells=", ".join(cells),
                     csv_options=options + ", parallel = false")
    try:
        first_row = layout.header_index + 2
        numbers = _record_numbers(utf8, layout)
        if numbers is None:
            _append(con, raw, "_csv_cells", fields, path.name, "", row_expr=f"c.rowid + {first_row}")
        else:
            con.register("_csv_rows", pa.table({"seq": pa.array(range(len(numbers)), pa.int64()),
                                                "record": pa.array(numbers, pa.int64())}))
            try:
                _append(con, raw, "_csv_cells", fields, path.name, "", row_expr="n.record",
                        row_join="join _csv_rows n on n.seq = c.rowid")
            finally:
                con.unregister("_csv_rows")
    finally:
        con.execute("drop table if exists temp._csv_cells")


def _record_numbers(utf8: Path, layout: CsvLayout) -> list[int] | None:
    """None when every record after the header is a DuckDB row (the usual case); else the
    1-based record number of each non-empty record: DuckDB skips empty lines, the csv
    module (and so the row numbers people were told) counts them."""
    with utf8.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start, end = 0, len(data)
            for _ in range(layout.header_lines):   # blank lines above the header are skipped anyway
                start = data.find(b"\n", start) + 1 or end
            while end > start and data[end - 1] in b"\r\n":
                end -= 1
            if data.find(b"\n\n", max(start - 1, 0), end) < 0 and data.find(b"\n\r\n", max(start - 1, 0), end) < 0:
                return None
    with utf8.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, layout.dialect)
        return [index + 1 for index, record in enumerate(reader) if index > layout.header_index and record]
