"""Password-protected village files (config [report] protect_workbooks = true).

Village workbooks and village ledgers are encrypted with the village's own password
(ECMA-376 agile encryption, which Excel and WPS open; msoffcrypto-tool writes and reads
it).  The passwords are kept in the encrypted warehouse (a village keeps its password
across months) and written to one owner-only file in the out folder, apart from the
workbooks, for the township officer to hand over separately.  `dibao returns` opens a
protected returned workbook with the password of the village its file name names, else
tries every village's password, and then accepts it only if that password is the one of the
village the workbook was issued to (flows/cases/returned_file.py).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import secrets
from pathlib import Path

import msoffcrypto
import pandas as pd
from msoffcrypto.format.ooxml import OOXMLFile

from flows import warehouse
from flows.reports import parallel

PROTECTED_FOLDERS = ("villages", "ledgers")
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i to misread when read out
PASSWORD_LENGTH = 10
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx is an OLE container


def password_file_name(month: str) -> str:
    return f"村（社区）文件密码_{month}.csv"


def place_of(file_name: str) -> str | None:
    """"回龙镇_天竺村" for a village's file; None for a township's (回龙镇_附件1_…)."""
    parts = file_name.split("_")
    if len(parts) < 3 or parts[1].startswith("附件"):
        return None
    return f"{parts[0]}_{parts[1]}"


def is_protected(content: bytes) -> bool:
    return content[:8] == OLE_SIGNATURE


def village_passwords(con) -> dict[str, str]:
    return dict(warehouse.query_sql(con, "reports/village_passwords").itertuples(index=False))


def protect_village_files(con, out_dir: Path, month: str) -> list[Path]:
    """Encrypt every village file of the out folder; returns them.  Writes the password file."""
    files = [p for folder in PROTECTED_FOLDERS for p in sorted((out_dir / folder).glob("*.xlsx"))
             if place_of(p.name)]
    passwords = _ensure_passwords(con, {place_of(p.name) for p in files})
    # ≈ 0.3 s a file (the key derivation): a city's thousands go to both cores
    parallel.run_batches(_encrypt_files, [(path, passwords[place_of(path.name)]) for path in files])
    rows = pd.DataFrame({"村（社区）": sorted({place_of(p.name) for p in files})})
    rows["密码"] = rows["村（社区）"].map(passwords)
    rows["文件数"] = rows["村（社区）"].map(pd.Series([place_of(p.name) for p in files]).value_counts())
    _write_private(out_dir / password_file_name(month), rows.to_csv(index=False).encode("utf-8-sig"))
    return files


def _encrypt_files(jobs: list[tuple[Path, str]]) -> list[Path]:
    for path, password in jobs:
        encrypted = io.BytesIO()
        with path.open("rb") as plain:
            OOXMLFile(plain).encrypt(password, encrypted)
        _write_private(path, encrypted.getvalue())
    return [path for path, _ in jobs]


def decrypted(path: Path, content: bytes, passwords: dict[str, str]) -> tuple[str, bytes] | None:
    """(the place whose password opened it, the plain workbook), or None when no known password
    opens it.  The caller checks that the place is the one the workbook says it belongs to."""
    place = place_of(Path(path).name)
    candidates = [(place, passwords[place])] if place in passwords else []
    candidates += [(p, pw) for p, pw in passwords.items() if p != place]
    for candidate, password in candidates:
        office = msoffcrypto.OfficeFile(io.BytesIO(content))
        try:
            office.load_key(password=password, verify_password=True)
            plain = io.BytesIO()
            office.decrypt(plain)
        except Exception:  # noqa: BLE001 - a wrong password or a damaged container: try the next
            continue
        return candidate, plain.getvalue()
    return None


def _ensure_passwords(con, places: set[str]) -> dict[str, str]:
    passwords = village_passwords(con)
    new = sorted(places - passwords.keys())
    if new:
        rows = pd.DataFrame({"place": new, "password": [_new_password() for _ in new],
                             "created_at": dt.datetime.now()})
        warehouse.insert_frame(con, "village_passwords", rows)
        passwords |= dict(zip(rows["place"], rows["password"]))
    return passwords


def _new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _write_private(path: Path, content: bytes) -> None:
    """Replace `path` by `content` in a file only its owner can read."""
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(part, path)
