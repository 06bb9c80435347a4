"""Resident ID numbers (公民身份号码, GB 11643-1999): validation and normalisation.

`normalize_id` turns an ID as it arrives (lowercase x, full-width digits, spaces,
15-digit legacy numbers, numbers that Excel rewrote) into the canonical 18-character
form, or says in Chinese why it cannot.  An ID that Excel turned into a float is
*corrupted*: its last digits are gone, so it is never matched to anyone.
"""
from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

VALID = "valid"
STATUS_REASONS = {
    "empty": "身份证号为空",
    "corrupted": "身份证号被Excel转为数字，末位已丢失，请将该列设为文本后重新导出",
    "bad_length": "身份证号位数不对（应为18位或15位）",
    "bad_chars": "身份证号含有非法字符",
    "bad_birth_date": "身份证号中的出生日期不存在",
    "unknown_region": "身份证号前6位不是任何时期的行政区划代码",
    "bad_check_digit": "身份证号校验位错误",
}


@dataclass(frozen=True)
class IdResult:
    id_number: str | None  # canonical 18 characters, None unless status == VALID
    status: str  # VALID or a key of STATUS_REASONS
    sex: str | None = None  # 男 / 女, from the order code
    birth_date: dt.date | None = None

    @property
    def reason(self) -> str | None:
        return None if self.status == VALID else STATUS_REASONS[self.status]


def check_digit(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) for the first 17 digits."""
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


@functools.cache
def region_codes() -> frozenset[str]:
    """Every county-level code ever in use (GB/T 2260 with history, from python-stdnum).

    Codes stay on a person's ID for life, so a retired code (梁平县 500228, pre-1997
    四川 codes of today's 重庆) is as valid as a current one.
    """
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    codes: set[str] = set()
    province = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
        elif province:
            codes.add(province + line.split()[0])
    return frozenset(codes)


def _birth_date(yyyymmdd: str) -> dt.date | None:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    return born if dt.date(1880, 1, 1) <= born <= dt.date.today() else None


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_FLOAT_TEXT = re.compile(r"^\d{15,18}\.0+$")


def clean_id_text(raw: object) -> str:
    """Full-width to ASCII, spaces and separators out, x upper-cased."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).strip().upper()
    return re.sub(r"[\s\-_'\"`]", "", text)


def normalize_id(raw: object, *, from_number: bool = False) -> IdResult:
    """Validate one ID as it arrived.  `from_number` marks a spreadsheet cell that
    held a number rather than text: Excel keeps 15 significant digits, so an
    18-digit ID stored that way has lost its end."""
    text = clean_id_text(raw)
    if text in ("", "NAN", "NONE", "NULL"):
        return IdResult(None, "empty")
    if _SCIENTIFIC.match(text) or _FLOAT_TEXT.match(text):
        return IdResult(None, "corrupted")
    if from_number and len(text) == 18:
        return IdResult(None, "corrupted")
    if not re.fullmatch(r"\d{17}[\dX]|\d{15}", text):
        return IdResult(None, "bad_chars" if len(text) in (15, 18) else "bad_length")
    if len(text) == 15:
        text = text[:6] + "19" + text[6:]
        text += check_digit(text)
    born = _birth_date(text[6:14])
    if born is None:
        return IdResult(None, "bad_birth_date")
    if text[:6] not in region_codes():
        return IdResult(None, "unknown_region")
    if check_digit(text[:17]) != text[17]:
        # Excel's 15-significant-digit rounding leaves …000 or …00X-like tails.
        status = "corrupted" if text.endswith("000") else "bad_check_digit"
        return IdResult(None, status)
    sex = "男" if int(text[16]) % 2 == 1 else "女"
    return IdResult(text, VALID, sex, born)


def mask_id(id_number: str | None, raw: str | None = None) -> str:
    """500228********1234: region and last four kept, as printed on notices."""
    text = id_number or clean_id_text(raw)
    if not text:
        return ""
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]
