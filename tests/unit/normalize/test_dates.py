"""Dates and year-months as registry exports write them."""
from __future__ import annotations

import datetime as dt

import pytest

from flows.normalize.dates import month_bounds, parse_date, parse_month

MAY_DAY = dt.date(2020, 5, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "2020-05-01",
        "2020/5/1",
        "2020/05/01",
        "2020.5.1",
        "20200501",
        "2020年5月1日",
        "2020年05月01日",
        "２０２０－０５－０１",  # full-width
        " 2020-05-01 ",
    ],
)
def test_every_spec_text_format_parses(raw):
    assert parse_date(raw) == MAY_DAY


@pytest.mark.parametrize(
    "raw",
    ["2020-05-01 00:00:00", "2020-05-01T08:30:00", "2020/5/1 8:30", "2020-05-01 08:30:00.000", "2020年5月1日 12:30"],
)
def test_time_suffix_is_dropped(raw):
    assert parse_date(raw) == MAY_DAY


# Excel's day 0 is 1899-12-30, so serial 43952 is 2020-05-01.
@pytest.mark.parametrize("raw", [43952, 43952.0, 43952.75, "43952", "43952.0"])
def test_excel_serial_as_int_float_or_text(raw):
    assert parse_date(raw) == MAY_DAY


def test_excel_serial_with_time_fraction_as_text():
    assert parse_date("43952.5") == MAY_DAY


def test_datetime_passes_through_as_its_date():
    assert parse_date(dt.datetime(2020, 5, 1, 8, 30)) == MAY_DAY
    assert parse_date(dt.date(2020, 5, 1)) == MAY_DAY


@pytest.mark.parametrize(
    "raw", ["2020-02-30", "2019-02-29", "2020-13-01", "不详", "", "   ", None, "abc", "2020-05", True, 0, 10**7]
)
def test_invalid_dates_are_none(raw):
    assert parse_date(raw) is None


def test_leap_day_is_a_date():
    assert parse_date("2020-02-29") == dt.date(2020, 2, 29)


def test_bare_year_is_not_silently_read_as_an_excel_serial():
    assert parse_date("1950") is None
    assert parse_date(2100) is None and parse_date("2100") is None


@pytest.mark.parametrize("raw", [9133, 9133.0, "9133", "9133.0"])
def test_a_four_digit_serial_is_an_old_recipients_birth_date(raw):
    # Excel keeps dates before 1927-05-18 as serials below 10000 (issue 29: people born in
    # 1925-26 whose 出生日期 came as such a number were never compared)
    assert parse_date(raw) == dt.date(1925, 1, 1)


@pytest.mark.parametrize(
    "raw", ["2019-03", "2019年3月", "2019年03月", "201903", "2019/3", "2019.03", "2019-03-15", "2019年3月15日", "20190315"]
)
def test_parse_month_gives_the_first_day_of_the_month(raw):
    assert parse_month(raw) == dt.date(2019, 3, 1)


def test_parse_month_accepts_a_date_value():
    assert parse_month(dt.date(2019, 3, 15)) == dt.date(2019, 3, 1)
    assert parse_month(dt.datetime(2019, 3, 15, 10, 0)) == dt.date(2019, 3, 1)


@pytest.mark.parametrize("raw", ["2019-13", "2019年0月", "不详", "", None])
def test_parse_month_invalid_is_none(raw):
    assert parse_month(raw) is None


def test_parse_month_bare_year_is_not_read_as_1905():
    assert parse_month("2019") is None


def test_month_bounds_for_a_31_day_month():
    assert month_bounds("2020-05") == (dt.date(2020, 5, 1), dt.date(2020, 5, 31))


def test_month_bounds_february_of_a_leap_year_ends_on_the_29th():
    assert month_bounds("2020-02") == (dt.date(2020, 2, 1), dt.date(2020, 2, 29))


def test_month_bounds_february_of_a_common_year_ends_on_the_28th():
    assert month_bounds("2019-02") == (dt.date(2019, 2, 1), dt.date(2019, 2, 28))


def test_month_bounds_december_does_not_spill_into_next_year():
    assert month_bounds("2020-12") == (dt.date(2020, 12, 1), dt.date(2020, 12, 31))


@pytest.mark.parametrize("bad", ["2020-13", "2020-00", "2020-5", "202005", "2020年5月", ""])
def test_month_bounds_bad_month_raises_value_error_in_chinese(bad):
    with pytest.raises(ValueError, match="月份格式应为 YYYY-MM"):
        month_bounds(bad)


# --- dates known only to the month (issue 13) -----------------------------------------

from flows.normalize.dates import ACCEPTED_FORMS, parse_dated  # noqa: E402


@pytest.mark.parametrize("raw", ["2019年10月", "2019-10", "201910", "2019/10", "2019.10", "２０１９年１０月"])
def test_month_only_dates_keep_month_precision(raw):
    assert parse_dated(raw) == (dt.date(2019, 10, 1), "month")


@pytest.mark.parametrize("raw", ["2019-10-05", "2019年10月5日", "20191005", 43743])
def test_full_dates_keep_day_precision(raw):
    assert parse_dated(raw) == (dt.date(2019, 10, 5), "day")


@pytest.mark.parametrize("raw", ["2019", "2019年", "2019-13", "不详", "", None])
def test_a_bare_year_or_nonsense_is_no_date(raw):
    assert parse_dated(raw) == (None, None)


def test_the_accepted_forms_are_named_for_rejects():
    assert "2020年5月" in ACCEPTED_FORMS and "只有年份不能接受" in ACCEPTED_FORMS
