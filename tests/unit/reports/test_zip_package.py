"""zip_package lays an archive out byte for byte as zipfile.ZipFile does on a seekable file,
so the workbooks it packages are the files ZipFile made before, and every zip reader reads
them."""
from __future__ import annotations

import io
import random
import zipfile

import openpyxl
import pytest

from flows.reports import zip_package
from flows.reports.xlsx_writer import Book

STAMP = (2026, 12, 7, 19, 30, 59)


def _zipfile_bytes(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts:
            info = zipfile.ZipInfo(name, date_time=STAMP)   # writestr(name, …) stamps the clock instead
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, body)
    return buffer.getvalue()


def test_same_bytes_as_zipfile():
    noise = random.Random(7)
    parts = [
        ("[Content_Types].xml", "<Types>" + "x" * 900 + "</Types>"),
        ("xl/theme/theme1.xml", "主题" * 3000),
        ("empty.xml", ""),
        ("xl/worksheets/sheet1.xml", bytes(noise.getrandbits(8) for _ in range(20000))),  # incompressible
        ("名字/非ASCII.xml", "<a>天竺村</a>"),
    ]
    shared = frozenset({"[Content_Types].xml", "xl/theme/theme1.xml"})
    ours = zip_package.package(parts, STAMP, shared)
    assert ours == _zipfile_bytes(parts)
    assert zip_package.package(parts, STAMP, shared) == ours     # the shared parts from the cache
    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        assert archive.testzip() is None
        assert archive.read("名字/非ASCII.xml").decode() == "<a>天竺村</a>"


def test_odd_second_is_rounded_down_as_dos_time():
    with zipfile.ZipFile(io.BytesIO(zip_package.package([("a.xml", "<a/>")], (2020, 1, 31, 23, 59, 59)))) as archive:
        assert archive.getinfo("a.xml").date_time == (2020, 1, 31, 23, 59, 58)


def test_a_written_book_opens_in_openpyxl(tmp_path):
    book = Book()
    sheet = book.add_sheet("核实表")
    sheet.write(1, 1, "姓名")
    sheet.write(2, 1, "=1+1")
    sheet.write(2, 2, 1234.5)
    path = tmp_path / "book.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert "xl/theme/theme1.xml" in archive.namelist()
    ws = openpyxl.load_workbook(path)["核实表"]
    assert (ws["A1"].value, ws["A2"].value, ws["B2"].value) == ("姓名", "=1+1", 1234.5)
    assert ws["A2"].data_type == "s" and ws["A2"].quotePrefix


def test_refuses_what_it_cannot_write_without_zip64(monkeypatch):
    monkeypatch.setattr(zip_package, "_ZIP64_LIMIT", 100)
    with pytest.raises(ValueError):
        zip_package.package([("big.xml", "x" * 200)], STAMP)
