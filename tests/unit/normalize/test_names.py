"""Names: one person, one spelling, whatever the keyboard did."""
from __future__ import annotations

import pytest

from flows.normalize.names import name_pinyin, normalize_name


def test_full_width_latin_letters_become_ascii():
    assert normalize_name("ＺＨＡＮＧ Ｗｅｉ") == "ZHANGWei"


@pytest.mark.parametrize("raw", ["张 三", " 张三 ", "张　三", "张\t三", "张\u00a0三", "张 \n三"])
def test_inner_and_outer_spaces_are_removed(raw):
    assert normalize_name(raw) == "张三"


# Middle-dot variants a clerk's keyboard or IME may produce for 阿依·古丽.
@pytest.mark.parametrize(
    "dot",
    [
        "\u00b7",  # · MIDDLE DOT (the standard one)
        "\u2022",  # • BULLET
        "\u2027",  # ‧ HYPHENATION POINT (Taiwan IMEs)
        "\u30fb",  # ・ KATAKANA MIDDLE DOT
        "\uff65",  # ･ HALFWIDTH KATAKANA MIDDLE DOT
        "\uff0e",  # ． FULLWIDTH FULL STOP
        "\u2219",  # ∙ BULLET OPERATOR
        "\u22c5",  # ⋅ DOT OPERATOR
        "\u0387",  # · GREEK ANO TELEIA
        "\u2024",  # ․ ONE DOT LEADER
        "\ufe52",  # ﹒ SMALL FULL STOP
        ".",
        " · ",  # dot with spaces around it
    ],
)
def test_every_middle_dot_variant_becomes_the_standard_dot(dot):
    assert normalize_name("阿依" + dot + "古丽") == "阿依·古丽"


def test_hangul_araea_dot_listed_in_the_pattern_becomes_the_standard_dot():
    assert normalize_name("阿依\u318d古丽") == "阿依·古丽"


@pytest.mark.parametrize("dot", ["\u2e31", "\ua78f"])
def test_rarer_middle_dot_variants_become_the_standard_dot(dot):
    assert normalize_name("阿依" + dot + "古丽") == "阿依·古丽"


def test_leading_and_trailing_dots_are_dropped():
    assert normalize_name("·阿依古丽·") == "阿依古丽"


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "·"])
def test_empty_name_is_none(raw):
    assert normalize_name(raw) is None


def test_same_name_two_spellings_normalise_equal():
    assert normalize_name("买买提 • 吐尔逊") == normalize_name("买买提·吐尔逊")


def test_homophone_names_share_their_pinyin():
    assert name_pinyin("张伟") == name_pinyin("张玮") == "zhang wei"


def test_pinyin_is_toneless_and_space_separated():
    assert name_pinyin("李秀英") == "li xiu ying"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("单雄信", "shan xiong xin"), ("单", "shan"), ("曾国藩", "zeng guo fan"), ("解缙", "xie jin"), ("仇英", "qiu ying")],
)
def test_surnames_with_special_readings_are_read_as_surnames(name, expected):
    assert name_pinyin(name) == expected


def test_dan_as_a_given_name_character_is_not_forced_to_shan():
    # Only the first character is a surname; 单 elsewhere keeps pypinyin's reading.
    assert name_pinyin("李单") == "li dan"


@pytest.mark.parametrize(("a", "b"), [("张伟", "李伟"), ("张伟", "张伟明"), ("王芳", "汪峰")])
def test_different_names_have_different_pinyin(a, b):
    assert name_pinyin(a) != name_pinyin(b)


def test_empty_name_has_empty_pinyin():
    assert name_pinyin("") == ""


# --- names as legacy systems write them (issue 13) ---------------------------------

from flows.normalize.names import name_key, name_syllables, split_pinyin  # noqa: E402


@pytest.mark.parametrize("written", ["袁文zhe", "袁文ZHE", "袁wenzhe", "yuanwenzhe"])
def test_a_character_written_in_pinyin_reads_as_the_same_syllables(written):
    assert name_syllables(written) == name_syllables("袁文喆") == ["yuan", "wen", "zhe"]


@pytest.mark.parametrize("placeholder", ["?", "？", "□", "*", "＊", "〇"])
def test_a_placeholder_is_an_unknown_syllable(placeholder):
    assert name_syllables("袁文" + normalize_name(placeholder)) == ["yuan", "wen", "?"]


@pytest.mark.parametrize("variant, simplified", [("劉德華", "刘德华"), ("陳", "陈"), ("峯", "峰"), ("徵", "征")])
def test_traditional_and_variant_characters_compare_in_one_form(variant, simplified):
    assert name_key(variant) == simplified


def test_latin_letters_split_into_the_fewest_pinyin_syllables():
    assert split_pinyin("wenzhe") == ["wen", "zhe"]
    assert split_pinyin("xian") == ["xian"]
    assert split_pinyin("smith") == ["smith"]      # no pinyin: kept as one token


def test_the_character_table_in_sql_reads_every_name_as_names_py_does():
    """sql/normalize/names.sql builds key and pinyin from a table of characters; each name
    must come out exactly as name_key / name_pinyin write it (surname readings, variants,
    placeholders, middle dots, Latin letters, digits)."""
    import duckdb

    from flows.normalize.names import name_key
    from flows.normalize.staging import build_name_table

    names = ["单雄信", "曾国藩", "王小明", "劉德華", "袁文zhe", "何〇", "?明", "李*华", "阿依·古丽", "Anna",
             "乐乐", "查理", "峯", "单", "张三丰", "曾曾", "解放军", "王1", "□□", "覃□"]
    con = duckdb.connect()
    con.execute("create temp table _distinct_names as select unnest($names) as name", {"names": names})
    build_name_table(con)
    got = {n: (k, p) for n, k, p in con.execute("select name, name_key, name_pinyin from _names").fetchall()}
    assert got == {n: (name_key(n), name_pinyin(n)) for n in names}
