"""Load every file of one source into raw_<source>, straight into DuckDB.

A CSV file is read by DuckDB's own reader once its encoding, dialect and header row are
found from its first lines (`readers.csv_layout`, which the CLI's probe and `dibao check`
use too); a GB18030/GBK file is first re-encoded to a UTF-8 scratch file beside the
working warehouse in one streaming pass (1 MB blocks; faster than loading DuckDB's
`encodings` extension, which costs ≈ 9 s per connection), and that file is deleted after.  An
xlsx sheet goes through python-calamine (`readers`) and is handed to DuckDB as an Arrow table,
several workbooks' sheets per statement (`_SheetBatch`).  While DuckDB reads one file, the
next ones are prepared (`_prepared_ahead`: workbooks parsed into Arrow tables, GB18030 files
re-encoded) in a background thread, and a source of many workbooks (a city's hundreds of
rosters) is parsed in two worker processes, so both cores parse while DuckDB inserts.

raw_<source> holds one text column per mapped field (stripped as `readers.cell_text`
does, NULL when empty), `_row` (1-based row number in the file or sheet), `_file`,
`_sheet` and `_id_number_is_number`; blank rows are skipped.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import mmap
import multiprocessing
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from flows import warehouse
from flows.errors import SourceFileError
from flows.sources.readers import (CSV_SUFFIXES, UNKNOWN_ENCODING, CsvLayout, _find_header, _no_header,
                                   _xlsx_grids, cell_text, check_readable, csv_layout, file_sha256, header_key)
from flows.warehouse import ident

DECODE_BLOCK = 1 << 20
READ_AHEAD = 2   # files prepared ahead of the one being read into DuckDB
# A source with at least this many bytes of workbooks parses them in PARSE_WORKERS processes:
# calamine builds its Python rows, and the Arrow tables are built from them, under one
# process's GIL, so a thread cannot use the second core (a city's 380 rosters, 96 MB: 23 s to
# parse, 7 s to build, on one core).  A pool costs ≈ 1 s to start, more than parsing a few
# MB saves: a township's roster and a city's 13 MB of poverty registers stay in the thread.
PROCESS_MIN_BYTES = 32 << 20
PARSE_WORKERS = 2


class NotUtf8(Exception):
    """DuckDB found bytes that are not UTF-8 past the part of the file that was probed."""


def load_source(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], columns: dict[str, str],
                required: tuple[str, ...], scratch: Path | None = None) -> list[dict]:
    """Create raw_<name> from `files`; returns per file (path, sha256, encoding, sheets, rows,
    and per sheet read: its name, header row and the columns found).  `scratch` is the
    working warehouse's path: a GB18030 file's UTF-8 copy is written beside it (without
    one, in a private temporary folder)."""
    raw = ident(f"raw_{name}")
    warehouse.run_sql(con, "sources/cell_macros")
    warehouse.run_sql(con, "sources/raw_table",
                      fragments={"raw": raw, "columns": ", ".join(f"{ident(f)} varchar" for f in columns)})
    read = []
    with contextlib.ExitStack() as stack:
        if scratch is None:      # an in-memory database (dibao check, tests): a private folder
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dibao-csv-"))) / "memory"
        stack.callback(_remove_utf8_copies, scratch)   # after the background thread has stopped
        ahead = stack.enter_context(contextlib.closing(_prepared_ahead(files, columns, required, scratch)))
        sheets = _SheetBatch(con, raw, len(columns))
        for path, prepared in ahead:
            check_readable(path)
            layouts: list[dict] = []
            entry = {"path": path, "sha256": None, "encoding": None, "sheets": 0, "rows_read": 0, "layouts": layouts}
            if path.suffix.lower() in CSV_SUFFIXES:
                sheets.flush()   # raw_<source> keeps the files' order
                entry["encoding"], entry["rows_read"] = _load_csv(con, raw, path, columns, required, scratch, layouts,
                                                                  prepared.result())
            else:
                for table, layout in prepared.result():
                    sheets.add(table, entry)
                    layouts.append(layout)
            entry["sha256"], entry["sheets"] = file_sha256(path), len(layouts)
            read.append(entry)
        sheets.flush()
    return read


# ---------------------------------------------------------------- reading ahead

@dataclass(frozen=True)
class _PreparedCsv:
    """A CSV file's layout and, for a GB18030 file, its UTF-8 copy (None otherwise)."""
    layout: CsvLayout
    utf8: Path | None


def _prepared_ahead(files: list[Path], columns: dict[str, str], required: tuple[str, ...],
                    scratch: Path) -> Iterator[tuple[Path, Future]]:
    """Each file in order, with its preparation under way: a workbook's sheets parsed into
    Arrow tables (`_sheet_tables`), or a CSV's layout found and a GB18030 one re-encoded to
    UTF-8 (`_prepare_csv`), up to READ_AHEAD files ahead of the one DuckDB reads (per
    worker, when workbooks go to worker processes), so both cores work while DuckDB reads
    without the GIL.  The window keeps a city's parsed sheets from piling up in memory.  A
    file that cannot be prepared raises when its turn comes, after check_readable, as it
    would in order.  Closing the generator stops the preparing; the caller removes UTF-8
    copies."""
    workbook_bytes = sum(path.stat().st_size for path in files
                         if path.suffix.lower() not in CSV_SUFFIXES and path.is_file())
    with contextlib.ExitStack() as stack:
        thread = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="dibao-read-ahead"))
        processes = None
        if workbook_bytes >= PROCESS_MIN_BYTES:
            # spawn, not fork: this process holds DuckDB's and Prefect's threads
            processes = ProcessPoolExecutor(PARSE_WORKERS, mp_context=multiprocessing.get_context("spawn"))
            stack.callback(processes.shutdown, wait=True, cancel_futures=True)
        window = READ_AHEAD * (PARSE_WORKERS if processes else 1)
        preparing: dict[int, Future] = {}

        def prepare(index: int) -> None:
            if index >= len(files):
                return
            path = files[index]
            if path.suffix.lower() in CSV_SUFFIXES:
                target = scratch.with_name(f"{scratch.name}.utf8-csv-{index}")
                preparing[index] = thread.submit(_prepare_csv, path, columns, required, target)
            else:
                preparing[index] = (processes or thread).submit(_sheet_tables, path, columns, required)

        try:
            for index in range(window):
                prepare(index)
            for index, path in enumerate(files):
                prepare(index + window)
                yield path, preparing.pop(index)
        finally:
            for future in preparing.values():   # a file failed: nothing more is prepared
                future.cancel()


def _prepare_csv(path: Path, columns: dict[str, str], required: tuple[str, ...], target: Path, *,
                 encoding: str | None = None) -> _PreparedCsv:
    """Named after the working warehouse (.<db>.run-<pid>…), a UTF-8 copy a killed run left
    is cleared with the working copy by warehouse.clear_stale_copies."""
    layout = csv_layout(path, columns, required, encoding=encoding)
    if layout.encoding != "gb18030":
        return _PreparedCsv(layout, None)
    _reencode(path, target, "gb18030")
    return _PreparedCsv(layout, target)


def _remove_utf8_copies(scratch: Path) -> None:
    for copy in scratch.parent.glob(f"{scratch.name}.utf8-csv*"):
        copy.unlink(missing_ok=True)


# ---------------------------------------------------------------- xlsx

class _SheetBatch:
    """Sheets' cells on their way into raw_<source>, several workbooks per statement: a
    city's 760 rosters as one statement each spent ≈ 10 ms apiece binding the statement
    (every cell_text's patterns) and scanning a small Arrow table, more than their rows
    cost.  `flush` appends what is waiting, in order, and sets each file's rows_read."""

    ROWS = 50_000

    def __init__(self, con, raw: str, n_fields: int):
        self.con, self.raw, self.n_fields = con, raw, n_fields
        self.tables: list[pa.Table] = []
        self.entries: list[dict] = []
        self.rows = 0

    def add(self, table: pa.Table, entry: dict) -> None:
        if not self.entries or self.entries[-1] is not entry:
            self.entries.append(entry)
        self.tables.append(table.append_column("_k", pa.array([len(self.entries) - 1] * table.num_rows, pa.int32())))
        self.rows += table.num_rows
        if self.rows >= self.ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.tables:
            return
        names = [f"f{i}" for i in range(self.n_fields)]
        self.con.register("_sheet_cells", pa.concat_tables(self.tables))
        try:
            warehouse.run_sql(self.con, "sources/sheet_batch", fragments={
                "cells": ", ".join(f"cell_text(c.{n}) as {n}" for n in names), "names": ", ".join(names)})
        finally:
            self.con.unregister("_sheet_cells")
        try:
            for k, rows in warehouse.fetch_sql(self.con, "sources/sheet_batch_counts"):
                self.entries[k]["rows_read"] += rows   # a file split across two statements: both
            warehouse.run_sql(self.con, "sources/sheet_rows", fragments={"raw": self.raw})
        finally:
            warehouse.run_sql(self.con, "sources/drop_sheet_batch")
        self.tables, self.entries, self.rows = [], [], 0


def _sheet_tables(path: Path, columns: dict[str, str], required: tuple[str, ...]) -> list[tuple[pa.Table, dict]]:
    """Every sheet of the workbook whose header names the required fields: its Arrow table
    for `_SheetBatch` and its layout (sheet, header row, columns found).  Python touches each
    mapped cell once, in a list comprehension: text cells pass as they are (stripped in SQL
    by cell_text), only numbers and dates are formatted in Python."""
    fields = list(columns)
    wanted = {field: header_key(header) for field, header in columns.items()}
    tables = []
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
        arrays["_file"] = pa.array([path.name] * len(body), pa.string())
        arrays["_sheet"] = pa.array([sheet_name] * len(body), pa.string())
        tables.append((pa.table(arrays), {"sheet": sheet_name, "header_row": header_index + 1, "columns": positions}))
    if not tables:
        raise _no_header(path, columns, required)
    return tables


def _column(body: list[list[object]], index: int | None) -> list[object]:
    if index is None:
        return [None] * len(body)
    return [row[index] if index < len(row) else None for row in body]


def _append(con, raw: str, sql: str, fields: list[str], file: str, *, first_row: int = 0) -> int:
    """One CSV file's cells (f0, f1, … in the order of `fields`) into raw_<source>; returns the
    rows appended (DuckDB's count of the insert: no count of the growing table per file)."""
    cells = [f"c.f{i}" for i in range(len(fields))]
    return warehouse.fetch_sql(con, sql, {"file": file, "first_row": first_row},
                               fragments={"raw": raw, "cells": ", ".join(cells)})[0][0]


# ---------------------------------------------------------------- csv

def _load_csv(con, raw: str, path: Path, columns: dict[str, str], required: tuple[str, ...],
              scratch: Path, layouts: list[dict], prepared: _PreparedCsv) -> tuple[str, int]:
    """Append one CSV file to raw_<source>; returns its encoding and the rows appended."""
    if prepared.utf8 is None:
        try:
            rows = _read_csv(con, raw, path, path, prepared.layout, columns)
            layouts.append(_csv_layout_record(prepared.layout))
            return prepared.layout.encoding, rows
        except NotUtf8:   # valid UTF-8 at the start only: the whole file is read as GB18030
            prepared = _prepare_csv(path, columns, required, scratch.with_name(f"{scratch.name}.utf8-csv"),
                                    encoding="gb18030")
    try:
        rows = _read_csv(con, raw, path, prepared.utf8, prepared.layout, columns)
    finally:
        prepared.utf8.unlink(missing_ok=True)
    layouts.append(_csv_layout_record(prepared.layout))
    return "gb18030", rows


def _csv_layout_record(layout: CsvLayout) -> dict:
    return {"sheet": "", "header_row": layout.header_index + 1, "columns": layout.positions}


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


def _read_csv(con, raw: str, path: Path, utf8: Path, layout: CsvLayout, columns: dict[str, str]) -> int:
    fields = list(columns)
    width = max(layout.positions.values()) + 1
    cells = {"cells": ", ".join(f"cell_text(column{layout.positions[f]:02d}) as f{i}" if f in layout.positions
                                else f"null::varchar as f{i}" for i, f in enumerate(fields))}
    dialect = layout.dialect
    escape = dialect.quotechar if dialect.doublequote or not dialect.escapechar else dialect.escapechar
    options = {"path": str(utf8), "skip": layout.header_lines, "delim": dialect.delimiter,
               "quote": dialect.quotechar or "", "escape": escape or "",
               "columns": {f"column{i:02d}": "VARCHAR" for i in range(width)}}
    try:
        warehouse.run_sql(con, "sources/csv_cells", options | {"parallel": True}, fragments=cells, raw_errors=True)
    except duckdb.Error as exc:
        if "unicode" in str(exc).lower():
            raise NotUtf8 from None
        # DuckDB's parallel reader refuses padded rows together with quoted line breaks.
        warehouse.run_sql(con, "sources/csv_cells", options | {"parallel": False}, fragments=cells)
    try:
        numbers = _record_numbers(utf8, layout)
        if numbers is None:
            return _append(con, raw, "sources/csv_rows", fields, path.name, first_row=layout.header_index + 2)
        con.register("_csv_rows", pa.table({"seq": pa.array(range(len(numbers)), pa.int64()),
                                            "record": pa.array(numbers, pa.int64())}))
        try:
            return _append(con, raw, "sources/csv_numbered_rows", fields, path.name)
        finally:
            con.unregister("_csv_rows")
    finally:
        warehouse.run_sql(con, "sources/drop_csv_cells")


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
