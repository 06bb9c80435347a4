"""Opening a returned workbook (village 核实表 or 附件1–3 台账) as the untrusted file it is.

Before anything is loaded the file is bounded: its size, and — since an .xlsx is a zip —
the bytes its parts unpack to, counted while unpacking (a part's declared size can lie).
A 1 MB file that unpacks to a 1 GiB cell, or a sheet of a million rows, is refused in a
second with one Chinese line, never loaded.  Then the hidden `_meta` sheet must carry the
office's seal (flows/cases/seal.py) over what the file was issued with, and a
password-protected file must have been opened with the password of the village it was
issued to.

Every refusal is a ReturnError naming the file and the reason — never a person, and never
another village's case ids.
"""
from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from flows.cases import seal
from flows.reports.excel_style import month_label, parse_month
from flows.reports.protection import decrypted, is_protected, place_of

META_SHEET = "_meta"
MAX_FILE_BYTES = 20 * 1024 * 1024        # a returned village file is tens of kilobytes
MAX_UNPACKED_BYTES = 16 * 1024 * 1024    # its parts unpacked: a large village's sheets are < 1 MB
MAX_PARTS = 400
MAX_CELL_CHARS = 2000                    # what a village may write in one answer cell
ROW_MARGIN = 30                          # rows a return may hold beyond those it was issued with
_CHUNK = 1 << 16


class ReturnError(Exception):
    """A returned workbook that cannot be used; the message is Chinese and names the file.
    `problems` holds each problem on its own."""

    MAX_LISTED = 20

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        listed = problems[:self.MAX_LISTED]
        more = len(problems) - len(listed)
        text = "；".join(listed) + (f"；另有{more}处问题" if more > 0 else "")
        super().__init__(f"{self.path.name}：{text}")


@dataclass
class ReturnedFile:
    """A returned workbook that passed every check of its envelope."""
    path: Path
    sha256: str                      # of the file as returned (encrypted, if it was)
    workbook: Workbook
    values: dict[str, str]           # _meta key → value
    rows: list[tuple[str, ...]] = field(default_factory=list)   # _meta entry rows (case / ledger)
    opened_with: str | None = None   # the place whose password opened it

    @property
    def kind(self) -> str:
        return self.values.get("kind", "")

    @property
    def township(self) -> str:
        return self.values.get("township", "")

    @property
    def village(self) -> str:
        return self.values.get("village", "")


def open_returned(path: Path, *, expected_month: str, formats: dict[str, str],
                  passwords: dict[str, str] | None = None) -> ReturnedFile:
    """Open one returned workbook and check its envelope: size, parts, `_meta`, seal, month,
    password.  `formats` maps each accepted `kind` to its format version."""
    path = Path(path)
    parse_month(expected_month)
    if path.suffix.lower() == ".xls":
        raise ReturnError(path, ["是旧版 .xls 格式：请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（.xlsx），再重新导入"])
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ReturnError(path, ["找不到文件，请检查路径和文件名"]) from None
    except OSError:
        raise ReturnError(path, ["文件无法读取"]) from None
    if size > MAX_FILE_BYTES:
        raise ReturnError(path, [f"文件有{size / 1048576:.1f} MB，超过核实表的上限"
                                 f"（{MAX_FILE_BYTES // 1048576} MB）：请使用下发的原表填写，不要插入图片或大量内容"])
    try:
        content = path.read_bytes()
    except OSError:
        raise ReturnError(path, ["文件无法读取"]) from None
    opened_with = None
    plain = content
    if is_protected(content):
        found = decrypted(path, content, passwords or {})
        if found is None:
            raise ReturnError(path, ["文件设有密码，但不是本乡镇下发的村（社区）密码能打开的，"
                                     "请使用下发时的密码保存后重新报送"])
        opened_with, plain = found
    _check_parts(path, plain)
    try:
        with warnings.catch_warnings():
            # "Data Validation extension is not supported" etc. after Excel/WPS saves.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(plain), data_only=True)
    except Exception:  # noqa: BLE001 - any parser failure means the same thing to the village
        raise ReturnError(path, ["不是.xlsx格式或文件已损坏，请用Excel另存为.xlsx后重新报送"]) from None
    returned = ReturnedFile(path, hashlib.sha256(content).hexdigest(), workbook,
                            *_read_meta(path, workbook, _noun(formats)), opened_with=opened_with)
    _check_envelope(returned, expected_month, formats)
    return returned


def _check_parts(path: Path, content: bytes) -> None:
    """Refuse a zip whose parts unpack beyond MAX_UNPACKED_BYTES, counting while unpacking."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise ReturnError(path, [f"文件包含{len(parts)}个部件，不是本系统下发的核实表"])
        total = 0
        for part in parts:
            with archive.open(part) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > MAX_UNPACKED_BYTES:
                        raise ReturnError(path, [
                            f"文件解压后超过{MAX_UNPACKED_BYTES // 1048576} MB（单元格内容或行数远超下发的核实表），"
                            "未导入：请使用下发的原表填写"])
    except ReturnError:
        raise
    except Exception:  # noqa: BLE001 - BadZipFile, CRC errors, truncated streams
        raise ReturnError(path, ["不是.xlsx格式或文件已损坏，请用Excel另存为.xlsx后重新报送"]) from None


def _noun(kinds) -> str:
    """What the caller accepts, as the village calls it."""
    ledger = any("ledger" in k for k in kinds)
    sheet = any("ledger" not in k for k in kinds)
    return "核实表或摸排台账" if ledger and sheet else "摸排台账" if ledger else "核实表"


def _read_meta(path: Path, workbook: Workbook, noun: str) -> tuple[dict[str, str], list[tuple[str, ...]]]:
    if META_SHEET not in workbook.sheetnames:
        raise ReturnError(path, [f"不是本系统下发的{noun}（缺少隐藏的_meta工作表），请使用镇民政办下发的原表填写"])
    values: dict[str, str] = {}
    rows: list[tuple[str, ...]] = []
    for row in workbook[META_SHEET].iter_rows(values_only=True):
        cells = [cell_text(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if cells[0] in ("case", "ledger"):
            rows.append(tuple(cells))
        else:
            values[cells[0]] = cells[1] if len(cells) > 1 else ""
    return values, rows


def _check_envelope(returned: ReturnedFile, expected_month: str, formats: dict[str, str]) -> None:
    path, values = returned.path, returned.values
    if returned.kind not in formats:
        raise ReturnError(path, [f"不是本系统下发的{_noun(formats)}（村级）"])
    if values.get("format_version") != formats[returned.kind]:
        raise ReturnError(path, ["是旧版本下发的表，无法核对：请使用镇民政办本月重新下发的表填写"])
    if not seal.verify(values, returned.rows):
        raise ReturnError(path, ["核对码不符：隐藏的_meta工作表被改动，或不是本镇民政办下发的表，未导入任何内容。"
                                 "请使用镇民政办下发的原表填写"])
    month = values.get("month", "")
    if month != expected_month:
        noun = "摸排台账" if "ledger" in returned.kind else "核实表"
        if is_month(month):
            raise ReturnError(path, [f"该表为{month_label(month)}的{noun}，不是{month_label(expected_month)}的{noun}，"
                                     f"请用 --month {month} 导入"])
        raise ReturnError(path, [f"该表不是{month_label(expected_month)}的{noun}"])
    if returned.opened_with is not None and returned.opened_with != place_of(values.get("file_name", "")):
        raise ReturnError(path, ["文件是用其他村（社区）的密码加密的，与表内的村（社区）不符，未导入任何内容"])


def check_row_count(returned: ReturnedFile, issued_rows: int) -> None:
    """A return holds at most the rows it was issued with, plus a margin (notes, signatures)."""
    limit = issued_rows + ROW_MARGIN
    for ws in returned.workbook.worksheets:
        if ws.title != META_SHEET and ws.max_row > limit:
            raise ReturnError(returned.path, [f"“{ws.title}”表有{ws.max_row}行，远多于下发时的行数，"
                                              "请勿增加行，使用下发的原表填写"])


def cell_text(value: Any) -> str:
    """A cell as stripped text ('' when empty); full-width spaces count as spaces."""
    if value is None:
        return ""
    return str(value).replace("\u3000", " ").strip()


def is_month(text: str) -> bool:
    try:
        parse_month(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class IssuedRows:
    """How a returned sheet's rows are tied to what it was issued with: the hidden key column
    (核查编号, 台账编号), the name and ID cells the sealed fingerprint covers, and the cells
    whose content needs a key (an answer nobody can be matched to is refused)."""
    key_header: str
    id_header: str
    name_header: str
    answer_headers: tuple[str, ...]
    answered_without_key: str          # e.g. 填写了核实结果，但没有核查编号


@dataclass(frozen=True)
class IssuedRow:
    row: int
    key: str
    shown_id: str      # the ID cell as it reads (masked as issued)


def issued_rows(ws: Worksheet, header_row: int, col: dict[str, int], layout: IssuedRows,
                fingerprints: dict[str, str], where, problems: list[str], *,
                issued_here=lambda key: True, moved: str = "", seen: dict[str, str] | None = None) -> Iterator[IssuedRow]:
    """The rows of `ws` below its header that are as issued: the key one the sheet was issued
    with (`fingerprints`: key → sealed row fingerprint), seen once, issued on this sheet
    (`issued_here`, else `moved` is the problem) and its name and ID cells unchanged.  Every
    other row with content adds one problem (`where(row)` names the row) and is skipped.
    `seen` (key → where first seen) is shared by the sheets of one workbook."""
    key_label = layout.key_header
    seen = {} if seen is None else seen
    for row in range(header_row + 1, ws.max_row + 1):
        here = where(row)
        key = cell_text(ws.cell(row, col[layout.key_header]).value)
        if not key:
            if any(cell_text(ws.cell(row, col[h]).value) for h in layout.answer_headers):
                problems.append(f"{here}{layout.answered_without_key}")
            continue
        if key not in fingerprints:
            # The value is not repeated: a village might have typed a name there.
            problems.append(f"{here}的{key_label}不是本表下发时的编号（请勿新增或复制行）")
            continue
        if key in seen:
            problems.append(f"{here}的{key_label}{key}与{seen[key]}重复（请勿复制行）")
            continue
        seen[key] = here
        if not issued_here(key):
            problems.append(f"{here}的{key_label}{key}{moved}")
            continue
        shown_id = cell_text(ws.cell(row, col[layout.id_header]).value)
        name = cell_text(ws.cell(row, col[layout.name_header]).value)
        if seal.row_fingerprint(key, shown_id, name) != fingerprints[key]:
            problems.append(f"{here}（{key_label}{key}）的姓名或{layout.id_header}与下发时不一致，请勿修改这两列")
            continue
        yield IssuedRow(row, key, shown_id)
