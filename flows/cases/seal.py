"""A keyed seal (HMAC-SHA256) on every workbook the office issues for return.

The hidden `_meta` sheet says which township, village and month a workbook belongs to and
which cases (or 台账 entries) it carries, each with a fingerprint of its row.  An unkeyed
hash of that list can be recomputed by anyone who edits it, so the office seals it with a
key only the office holds: derived from the warehouse key (flows/keys.py), never written
into any workbook.  A returned file whose `_meta` was edited — another village's case
added, a village renamed, a recovery column claimed — no longer carries a valid seal.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from flows import keys
from flows.reports.excel_style import excel_safe

SEAL_KEY = "seal"               # the _meta row holding the seal
_PURPOSE = b"dibao-recon issued-workbook seal v1"


def office_key() -> bytes:
    """The office's sealing key, derived from the warehouse key (a different purpose: the
    seal never reveals the warehouse key)."""
    return _derive(keys.warehouse_key())


@functools.lru_cache(maxsize=4)
def _derive(warehouse_key: str) -> bytes:
    return hmac.new(warehouse_key.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def seal(values: Mapping[str, str], rows: Iterable[Iterable[str]], key: bytes | None = None) -> str:
    """The seal over `_meta` as written: every key/value (but the seal) and every row."""
    return hmac.new(key or office_key(), _canonical(values, rows), hashlib.sha256).hexdigest()


def verify(values: Mapping[str, str], rows: Iterable[Iterable[str]], key: bytes | None = None) -> bool:
    claimed = values.get(SEAL_KEY, "")
    return bool(claimed) and hmac.compare_digest(claimed, seal(values, rows, key))


def as_read(value) -> str:
    """A cell's text as written and as read back: control characters gone (excel_safe),
    full-width and outer spaces trimmed — the seal must not break on what Excel does."""
    return str(excel_safe(value) if value is not None else "").replace("\u3000", " ").strip()


def _canonical(values: Mapping[str, str], rows: Iterable[Iterable[str]]) -> bytes:
    # Unit and record separators cannot occur in cell text that survives excel_safe.
    items = "\x1e".join(f"{as_read(k)}\x1f{as_read(v)}" for k, v in sorted(values.items()) if k != SEAL_KEY)
    lines = "\x1e".join("\x1f".join(as_read(part) for part in row) for row in rows)
    return (items + "\x1d" + lines).encode("utf-8")


def row_fingerprint(case_id: str, shown_id: str, name: str) -> str:
    """sha256 of what the village sees in a row's key cells, sealed in `_meta`; a return
    recomputes it to notice a name or ID that was typed over (returned_file.issued_rows)."""
    # Compared as a reader sees the cells: control characters gone (excel_safe),
    # outer spaces trimmed, so a harmless trailing space is not "an edit".
    parts = [str(excel_safe(value) or "").replace("\u3000", " ").strip()
             for value in (case_id, shown_id, name)]
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
