"""An xlsx package (a zip archive) built in memory and written to its file in one write.

zipfile.ZipFile writes each part through a header, a compressor object and a seek back
to patch the header: for the dozen small parts of a village workbook or ledger that was
≈ 0.8 ms of the 3-7 ms each costs, and a city writes ≈ 30,000 of them.  `package` deflates
each part with zlib at once and lays the archive out as ZipFile lays it out on a seekable
file, byte for byte (tests/unit/reports/test_zip_package.py compares them); the parts every
workbook shares (the theme, the package's relations) are deflated once per process.
"""
from __future__ import annotations

import functools
import struct
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path

_VERSION = 20                                   # zipfile's DEFAULT_VERSION: deflate
_DEFLATED = 8
_CREATE_SYSTEM = 0 if sys.platform == "win32" else 3   # as zipfile.ZipInfo sets it
_FILE_ATTRIBUTES = 0o600 << 16                  # what ZipFile.writestr gives a named part
_UTF8_NAME = 0x800
_LOCAL = struct.Struct("<4s2B4HL2L2H")          # zipfile.structFileHeader
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")      # zipfile.structCentralDir
_END = struct.Struct("<4s4H2LH")                # zipfile.structEndArchive
_ZIP64_LIMIT = (1 << 31) - 1


def deflated(body: bytes) -> tuple[int, bytes]:
    """(CRC-32, raw deflate at zlib's default level): the bytes ZipFile's compressor object
    makes, in one call (a compressor object costs ≈ 1.5× as much on a part of a few KB)."""
    return zlib.crc32(body), zlib.compress(body, zlib.Z_DEFAULT_COMPRESSION, -15)


@functools.lru_cache(maxsize=64)
def shared_part(text: str) -> tuple[int, int, bytes]:
    """(size, CRC-32, deflated bytes) of a part many workbooks carry unchanged."""
    body = text.encode("utf-8")
    return (len(body), *deflated(body))


def package(parts: Iterable[tuple[str, str | bytes]], date_time: tuple[int, ...],
            shared: frozenset[str] = frozenset()) -> bytes:
    """The archive of `parts` (name, text or bytes), in order, every part stamped with
    `date_time` (year, month, day, hour, minute, second; local time, as ZipFile stamps a
    part).  Parts whose name is in `shared` are text deflated once per process."""
    dosdate = (date_time[0] - 1980) << 9 | date_time[1] << 5 | date_time[2]
    dostime = date_time[3] << 11 | date_time[4] << 5 | (date_time[5] // 2)
    chunks: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for name, body in parts:
        if name in shared:
            size, crc, data = shared_part(body)
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else body
            size, (crc, data) = len(raw), deflated(raw)
        if size * 1.05 > _ZIP64_LIMIT:
            raise ValueError(f"part {name} is too large for this writer")
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), _UTF8_NAME
        chunks += (_LOCAL.pack(b"PK\003\004", _VERSION, 0, flags, _DEFLATED, dostime, dosdate, crc, len(data), size,
                               len(encoded), 0), encoded, data)
        directory += (_CENTRAL.pack(b"PK\001\002", _VERSION, _CREATE_SYSTEM, _VERSION, 0, flags, _DEFLATED, dostime,
                                    dosdate, crc, len(data), size, len(encoded), 0, 0, 0, 0, _FILE_ATTRIBUTES,
                                    offset), encoded)
        offset += _LOCAL.size + len(encoded) + len(data)
    directory_bytes = b"".join(directory)
    count = len(directory) // 2
    if offset + len(directory_bytes) > _ZIP64_LIMIT or count > 0xFFFF:
        raise ValueError("package too large for this writer")
    return b"".join((*chunks, directory_bytes,
                     _END.pack(b"PK\005\006", 0, 0, count, count, len(directory_bytes), offset, 0)))


def write_package(path: Path, parts: Iterable[tuple[str, str | bytes]], date_time: tuple[int, ...],
                  shared: frozenset[str] = frozenset()) -> None:
    Path(path).write_bytes(package(parts, date_time, shared))
