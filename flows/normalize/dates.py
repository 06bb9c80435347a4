"""Dates as they arrive in registry exports: ISO, slashes, dots, compact, 年月日, Excel serials."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0, after its 1900 leap-year bug
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT_YM = re.compile(r"^(\d{4})(\d{2})$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")  # see _from_serial: a bare year is not a date
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _text(raw: object) -> str:
    if raw is None:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip()


def parse_date(raw: object) -> dt.date | None:
    """One date, or None when the text is not a date.  A datetime passes through."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _from_serial(float(raw))
    text = _TIME_SUFFIX.sub("", _text(raw))
    if not text:
        return None
    for pattern in (_YMD, _COMPACT):
        match = pattern.match(text)
        if match:
            return _safe_date(*map(int, match.groups()))
    if _SERIAL.match(text):
        return _from_serial(float(text))
    return None


DAY, MONTH = "day", "month"
ACCEPTED_FORMS = ("接受的写法：2020-05-01、2020/5/1、2020.5.1、20200501、2020年5月1日、Excel日期，"
                  "或只知年月时 2020-05、2020年5月、202005；只有年份不能接受")


def parse_dated(raw: object) -> tuple[dt.date | None, str | None]:
    """A date with its precision: (day, 'day'), or for a value known only to the month
    (2019年10月, 2019-10, 201910) (first day of that month, 'month'); (None, None) when
    the text is no date — a bare year included, since a death known only to the year
    cannot give the months overpaid."""
    day = parse_date(raw)
    if day is not None:
        return day, DAY
    if isinstance(raw, str):
        text = _TIME_SUFFIX.sub("", _text(raw))
        for pattern in (_YM, _COMPACT_YM):
            match = pattern.match(text)
            if match:
                first = _safe_date(int(match[1]), int(match[2]), 1)
                return (first, MONTH) if first else (None, None)
    return None, None


def parse_month(raw: object) -> dt.date | None:
    """A year-month (纳入年月, 渐退起始年月) as the first day of that month."""
    if isinstance(raw, (dt.date, dt.datetime)) or isinstance(raw, (int, float)):
        day = parse_date(raw)
        return day.replace(day=1) if day else None
    text = _text(raw)
    for pattern in (_YM, _COMPACT_YM):
        match = pattern.match(text)
        if match:
            return _safe_date(int(match[1]), int(match[2]), 1)
    day = parse_date(text)
    return day.replace(day=1) if day else None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    if not 1880 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# Serials 2101-73050 (1905-10-01 … 2100): a number up to 2100 is a bare year (or an amount),
# never a date; 2101-9999 is no year a registry writes, and is how Excel stores the birth
# dates of the oldest recipients (before 1927-05-18) — issue 29's two missed deaths at city
# scale were people born in 1925-26 whose 出生日期 came as a four-digit serial.
MIN_SERIAL, MAX_SERIAL = 2101, 73050


def _from_serial(serial: float) -> dt.date | None:
    if not MIN_SERIAL <= serial <= MAX_SERIAL:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """'2020-05' -> (2020-05-01, 2020-05-31)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"月份格式应为 YYYY-MM，例如 2020-05：{month!r}")
    first = dt.date(int(match[1]), int(match[2]), 1)
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def month_index(month: str) -> int:
    """'2020-05' -> 2020 * 12 + 5: months apart is a subtraction (the SQL's $month_index)."""
    first, _ = month_bounds(month)
    return first.year * 12 + first.month
