"""Resident ID numbers (GB 11643-1999) as they really arrive in registry exports."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from flows.normalize.ids import STATUS_REASONS, VALID, check_digit, mask_id, normalize_id

# Check digit by hand: sum(d_i * w_i) mod 11, then "10X98765432"[remainder].
# Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
#
# 11010519491231002X (the standard's own example):
#   1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 4*6 + 9*3 + 1*7 + 2*9 + 3*10 + 1*5 + 0*8 + 0*4 + 2*2
#   = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167;  167 mod 11 = 2  -> 'X'
# 440524188001010014 (the standard's other example):
#   28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195;  195 mod 11 = 8   -> '4'
# 500228195001011237 (梁平县, born 1950-01-01, order code 123):
#   35+0+0+10+16+32+2+9+30+0+0+9+0+5+8+8+6 = 170;   170 mod 11 = 5   -> '7'
LIANGPING_1950 = "500228195001011237"


def with_check(first17: str) -> str:
    return first17 + check_digit(first17)


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("50022819500101123", "7")],
)
def test_check_digit_matches_hand_computed_gb11643_vectors(first17, expected):
    assert check_digit(first17) == expected


@pytest.mark.parametrize("id_number", ["11010519491231002X", "440524188001010014", LIANGPING_1950])
def test_standard_examples_are_valid(id_number):
    result = normalize_id(id_number)
    assert result.status == VALID
    assert result.id_number == id_number
    assert result.reason is None


def test_one_wrong_digit_fails_the_check_digit():
    result = normalize_id("500228195001011238")
    assert result.status == "bad_check_digit"
    assert result.id_number is None


def test_lowercase_x_is_upper_cased():
    result = normalize_id("11010519491231002x")
    assert result.status == VALID
    assert result.id_number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        "５００２２８１９５００１０１１２３７",  # full-width digits
        "500228 19500101 1237",  # inner spaces
        "５００２２８\u3000１９５００１０１\u3000１２３７",  # full-width digits and ideographic spaces
        "  500228195001011237\t",  # padding
        "１１０１０５１９４９１２３１００２ｘ",  # full-width lowercase x
    ],
)
def test_full_width_digits_and_spaces_are_cleaned(raw):
    result = normalize_id(raw)
    assert result.status == VALID
    assert result.id_number in (LIANGPING_1950, "11010519491231002X")


def test_15_digit_legacy_id_gets_19_inserted_and_a_check_digit():
    # 110105 491231 002 -> 110105 19491231 002 + check 'X'
    result = normalize_id("110105491231002")
    assert result.status == VALID
    assert result.id_number == "11010519491231002X"
    assert result.birth_date == dt.date(1949, 12, 31)


def test_15_digit_legacy_liangping_id_converts_to_the_18_digit_one():
    assert normalize_id("500228500101123").id_number == LIANGPING_1950


@pytest.mark.parametrize(
    ("region", "county"),
    [("500228", "梁平县 (retired 2016)"), ("512224", "pre-1997 四川 code"), ("511223", "pre-1997 四川 code")],
)
def test_retired_region_codes_are_valid_for_an_old_birth_date(region, county):
    id_number = with_check(region + "19500101" + "123")
    result = normalize_id(id_number)
    assert result.status == VALID, county
    assert result.id_number == id_number


def test_retired_region_code_is_valid_whatever_the_birth_date():
    # Codes stay on an ID for life; a 2018 birth with 500228 is still a well-formed ID.
    assert normalize_id(with_check("500228" + "20180101" + "124")).status == VALID


def test_unknown_region_code_is_rejected():
    result = normalize_id(with_check("990228" + "19900101" + "123"))
    assert result.status == "unknown_region"
    assert result.id_number is None


@pytest.mark.parametrize("birth", ["19900230", "19901301", "20990101", "18790101"])
def test_impossible_birth_date_is_rejected(birth):
    result = normalize_id(with_check("500228" + birth + "123"))
    assert result.status == "bad_birth_date"
    assert result.id_number is None


@pytest.mark.parametrize("raw", ["5002281950010112", "5002281950010112370", "500228", "ABC"])
def test_wrong_length_is_rejected(raw):
    result = normalize_id(raw)
    assert result.status == "bad_length"
    assert result.id_number is None


@pytest.mark.parametrize("raw", ["50022819500101123A", "50022819500101X237", "50022819500101123Y"])
def test_letters_other_than_a_final_x_are_rejected(raw):
    assert normalize_id(raw).status == "bad_chars"


@pytest.mark.parametrize("raw", [None, "", "   ", "nan", "NULL"])
def test_empty_id_has_status_empty(raw):
    result = normalize_id(raw)
    assert result.status == "empty"
    assert result.id_number is None


@pytest.mark.parametrize(
    "raw",
    [
        "5.00228E+17",  # what Excel shows for a number cell
        "5.00228199001011E+17",  # the same with all 15 significant digits
        "5.00228e+17",
        "500228199001011000",  # Excel's 15 significant digits, then 000
        "500228195001011237.0",
    ],
)
def test_excel_corrupted_ids_are_corrupted_never_an_id(raw):
    result = normalize_id(raw)
    assert result.status == "corrupted"
    assert result.id_number is None
    assert "Excel" in result.reason


def test_text_ending_in_000_with_wrong_check_digit_is_corrupted_not_bad_check():
    first17 = "50022819900101100"
    assert check_digit(first17) != "0"  # so the "…000" text fails its check digit
    assert normalize_id(first17 + "0").status == "corrupted"


def test_18_digit_id_from_a_number_cell_is_corrupted_even_if_it_checks():
    # Excel keeps 15 significant digits; an 18-digit number cell has lost its end,
    # so even a value whose check digit happens to pass must never be matched.
    result = normalize_id(LIANGPING_1950, from_number=True)
    assert result.status == "corrupted"
    assert result.id_number is None
    assert normalize_id(500228195001011237, from_number=True).id_number is None


def test_15_digit_legacy_id_from_a_number_cell_is_still_valid():
    # 15 digits fit in Excel's precision: nothing was lost.
    result = normalize_id("500228500101123", from_number=True)
    assert result.status == VALID
    assert result.id_number == LIANGPING_1950


@pytest.mark.parametrize(
    ("order_code", "sex"),
    [("121", "男"), ("123", "男"), ("129", "男"), ("120", "女"), ("122", "女"), ("128", "女")],
)
def test_sex_comes_from_the_17th_digit(order_code, sex):
    result = normalize_id(with_check("500228" + "19500101" + order_code))
    assert result.sex == sex
    assert result.birth_date == dt.date(1950, 1, 1)


def test_standard_example_is_female():
    assert normalize_id("11010519491231002X").sex == "女"  # 17th digit 2


def test_mask_id_keeps_region_and_last_four():
    assert mask_id("500228199001011234") == "500228********1234"
    assert mask_id(LIANGPING_1950) == "500228********1237"


def test_mask_id_masks_the_cleaned_raw_value_when_there_is_no_valid_id():
    assert mask_id(None, "５００２２８ １９９００１０１１２３４") == "500228********1234"
    assert mask_id(None, "12345") == "*****"
    assert mask_id(None, None) == ""
    assert mask_id(None, "") == ""


_HAS_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_INPUT_FOR_STATUS = {
    "empty": "",
    "corrupted": "5.00228E+17",
    "bad_length": "5002281950",
    "bad_chars": "50022819500101123A",
    "bad_birth_date": with_check("500228" + "19900230" + "123"),
    "unknown_region": with_check("990228" + "19900101" + "123"),
    "bad_check_digit": "500228195001011238",
}


def test_every_status_is_reachable_in_this_test():
    assert set(_INPUT_FOR_STATUS) == set(STATUS_REASONS)


@pytest.mark.parametrize("status", sorted(STATUS_REASONS))
def test_every_rejection_status_has_a_chinese_reason(status):
    result = normalize_id(_INPUT_FOR_STATUS[status])
    assert result.status == status
    assert result.id_number is None
    assert result.reason == STATUS_REASONS[status]
    assert _HAS_CHINESE.search(result.reason)
