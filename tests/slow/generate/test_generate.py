"""The synthetic-data generator: deterministic, messy in the documented ways, and
truthful — truth.csv lists every fault and nothing else fires for the other members.

Township scale only (a few seconds per run); district timing is a benchmark, not a test.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.generate import generate
from flows.generate import names
from flows.generate.idnumbers import check_digits, issue_ids
from flows.generate.render import (ASSISTANCE_COLUMNS, POLICE_COLUMNS, POPULATION_COLUMNS,
                                   POVERTY_COLUMNS, ROSTER_COLUMNS)
from flows.normalize.ids import VALID, check_digit, clean_id_text, normalize_id

MONTH = "2020-05"
MONTH_END = dt.date(2020, 5, 31)
MONTH_INDEX = 2020 * 12 + 4
RULE_RANGES = {
    "DECEASED_PAID": (40, 62), "DECEASED_SUSPECT": (28, 42), "HARD_NEGATIVE": (15, 25),
    "INVALID_ID": (15, 27), "ID_NAME_MISMATCH": (10, 20), "ID_ATTR_MISMATCH": (10, 20),
    "DUPLICATE_BENEFIT": (14, 24), "NOT_IN_REGISTRY": (10, 20), "MOVED_OUT": (7, 13),
    "HOUSEHOLD_SIZE_CHANGED": (45, 70), "GRADUAL_EXIT_OVERDUE": (7, 13), "REJECT": (2, 3),
    "UNCOVERED_VULNERABLE": (10, 22), "AMBIGUOUS_NAMESAKE": (2, 4),
}
DIBAO_STANDARD = 620  # configs/default.toml [thresholds] dibao_standard_monthly
SERIOUS = ("重病", "重度残疾")


# --- fixtures and readers ------------------------------------------------------------

@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("township_seed1")
    counts = generate("township", 1, MONTH, path)
    assert {k for k in counts} >= {"roster_rows", "deaths_rows", "population_rows",
                                   "cremation_rows", "poverty_rows", "assistance_rows",
                                   "uncovered_vulnerable_truth", "truth_rows", "files"}
    assert all(Path(f).exists() for f in counts["files"])
    return path


def only(folder: Path, pattern: str) -> Path:
    (path,) = sorted(folder.glob(pattern))
    return path


def read_roster(out: Path) -> pd.DataFrame:
    path = only(out / "roster", f"回龙镇_低保特困在册人员名册_{MONTH}.xlsx")
    raw = pd.read_excel(path, engine="calamine", header=None, dtype=object)
    frame = raw.iloc[4:].set_axis(list(raw.iloc[3]), axis=1).reset_index(drop=True)
    return frame


@pytest.fixture(scope="module")
def roster(out) -> pd.DataFrame:
    return read_roster(out)


@pytest.fixture(scope="module")
def truth(out) -> pd.DataFrame:
    return pd.read_csv(out / "truth.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def police(out) -> pd.DataFrame:
    frame = pd.read_csv(only(out / "deaths", "*.csv"), encoding="gb18030", dtype=str,
                        keep_default_na=False)
    frame["id"] = frame["公民身份号码"].map(lambda v: normalize_id(v).id_number)
    frame["death"] = frame["死亡日期"].map(parse_date)
    frame["birth"] = frame["出生日期"].map(parse_date)
    return frame


@pytest.fixture(scope="module")
def population(out) -> pd.DataFrame:
    path = only(out / "population", "*.xlsx")
    raw = pd.read_excel(path, engine="calamine", header=None, dtype=str)
    frame = raw.iloc[2:].set_axis(list(raw.iloc[1]), axis=1).fillna("")
    assert list(frame.columns) == POPULATION_COLUMNS
    return frame


@pytest.fixture(scope="module")
def cremation(out) -> pd.DataFrame:
    return pd.read_csv(only(out / "cremation", "*.csv"), encoding="utf-8", dtype=str,
                       keep_default_na=False)


def read_poverty(out: Path) -> pd.DataFrame:
    path = only(out / "poverty", f"回龙镇_建档立卡边缘户监测户名单_{MONTH}.xlsx")
    raw = pd.read_excel(path, engine="calamine", header=None, dtype=object)
    return raw.iloc[4:].set_axis(list(raw.iloc[3]), axis=1).reset_index(drop=True)


@pytest.fixture(scope="module")
def poverty(out) -> pd.DataFrame:
    frame = read_poverty(out)
    frame["id"] = frame["身份证号码"].map(lambda v: normalize_id(v).id_number)
    frame["income"] = frame["家庭人均月纯收入（元）"].astype(float)
    return frame


@pytest.fixture(scope="module")
def assistance(out) -> pd.DataFrame:
    path = only(out / "assistance", f"回龙镇_临时救助发放名单_{MONTH}.csv")
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(value) -> dt.date | None:
    """Every date form the generator writes (text styles, date cells, serials); a date
    known only to the month (2019-10, 2019年10月, 201910) as its first day."""
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date()
    if isinstance(value, (int, float)) and not pd.isna(value):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = _DATE.match(text)
    if match:
        return dt.date(*map(int, match.groups()))
    month = re.fullmatch(r"(\d{4})(?:[-年](\d{1,2})月?|(\d{2}))", text)
    return dt.date(int(month[1]), int(month[2] or month[3]), 1) if month else None


def normal_name(value) -> str:
    text = unicodedata.normalize("NFKC", "" if pd.isna(value) else str(value))
    text = re.sub(r"\s", "", text)
    return re.sub(r"[·•・.]", "·", text)


def roster_id(value):
    return normalize_id(value, from_number=not isinstance(value, str))


def months_overpaid(death: dt.date) -> int:
    return MONTH_INDEX - (death.year * 12 + death.month - 1)


@pytest.fixture(scope="module")
def clean_rows(roster, truth) -> pd.DataFrame:
    """Roster rows of members with no truth row and not in a household with one."""
    flagged = set(zip(truth["household_id"], truth["name"]))
    flagged_households = set(truth["household_id"])
    names_ = roster["姓名"].map(normal_name)
    keep = [(h, n) not in flagged and h not in flagged_households
            for h, n in zip(roster["户编号"], names_)]
    return roster[keep].assign(name=names_[keep])


# --- determinism -----------------------------------------------------------------

def test_same_seed_same_files_other_seed_other_files(out, roster, tmp_path):
    again = tmp_path / "again"
    generate("township", 1, MONTH, again)
    assert (again / "truth.csv").read_bytes() == (out / "truth.csv").read_bytes()
    pd.testing.assert_frame_equal(read_roster(again), roster)
    for folder in ("deaths", "population", "cremation", "roster", "poverty", "assistance"):
        assert only(again / folder, "*").read_bytes() == only(out / folder, "*").read_bytes()

    other = tmp_path / "other"
    generate("township", 2, MONTH, other)
    assert (other / "truth.csv").read_bytes() != (out / "truth.csv").read_bytes()
    assert not read_roster(other)["身份证号码"].equals(roster["身份证号码"])


# --- shapes --------------------------------------------------------------------------

def test_roster_has_title_rows_then_real_headers(out):
    path = only(out / "roster", "*.xlsx")
    raw = pd.read_excel(path, engine="calamine", header=None, dtype=object)
    assert raw.iloc[0, 0] == "梁平区回龙镇低保特困在册人员名册"
    assert raw.iloc[1, 0].startswith("填报单位：回龙镇民政和社会事务办")
    assert "填报时间：2020年5月28日" in raw.iloc[1, 0]
    assert raw.iloc[2].isna().all()
    assert list(raw.iloc[3]) == ROSTER_COLUMNS


def test_roster_values_arrive_messy(roster):
    ids = roster["身份证号码"]
    texts = ids[ids.map(lambda v: isinstance(v, str))]
    assert texts.str.contains("x").any(), "lowercase x"
    assert texts.str.contains(" ").any(), "inner spaces"
    assert texts.map(lambda v: any("０" <= c <= "９" for c in v)).any(), "full-width digits"
    assert (texts.str.len() == 15).any(), "15-digit legacy IDs"
    assert (~ids.map(lambda v: isinstance(v, str))).sum() >= 3, "Excel number cells"
    births = roster["出生日期"]
    assert births.map(lambda v: isinstance(v, dt.datetime)).any(), "real date cells"
    assert births.map(lambda v: isinstance(v, (int, float))).any(), "serial numbers"
    text_births = births[births.map(lambda v: isinstance(v, str))]
    for pattern in (r"^\d{4}-\d{2}-\d{2}$", r"^\d{4}/\d{1,2}/\d{1,2}$", r"^\d{4}\.\d{1,2}\.\d{1,2}$",
                    r"^\d{8}$", r"^\d{4}年\d{1,2}月\d{1,2}日$"):
        assert text_births.str.match(pattern).any(), pattern
    assert roster["纳入年月"].str.contains("年").any() and roster["纳入年月"].str.contains("-").any()
    assert roster["姓名"].astype(str).str.contains(r"\s").any()


def test_police_csv_is_gb18030_not_utf8(out):
    data = only(out / "deaths", "*.csv").read_bytes()
    text = data.decode("gb18030")
    assert text.splitlines()[0].split(",") == POLICE_COLUMNS
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_file_layout_and_sizes(out, roster, police, population, cremation):
    assert 2300 <= len(roster) <= 2900
    assert 5000 <= len(police) <= 7000
    assert 37000 <= len(population) <= 43000
    assert 0.6 * len(police) <= len(cremation) <= 0.85 * len(police)
    assert (population["人员状态"].isin(["正常", "死亡", "迁出"])).all()
    assert (police["注销原因"] == "死亡").all()
    assert (police["公民身份号码"].str.len() == 15).any()


# --- IDs and names -------------------------------------------------------------------

def test_vectorised_check_digits_agree_with_check_digit():
    rng = np.random.default_rng(7)
    bodies = rng.integers(10**16, 10**17, 2000)
    expected = [check_digit(str(b)) for b in bodies]
    assert list(check_digits(bodies)) == expected


def test_issued_ids_are_valid_unique_and_carry_sex_and_birth():
    rng = np.random.default_rng(3)
    birth = np.datetime64("1950-01-01") + rng.integers(0, 20000, 5000).astype("timedelta64[D]")
    male = rng.random(5000) < 0.5
    ids = issue_ids(rng, np.full(5000, 500228), birth, male)
    assert len(set(ids)) == 5000
    for id18, b, m in zip(ids, birth, male):
        result = normalize_id(id18)
        assert result.status == VALID
        assert result.birth_date == b.astype(dt.date) and (result.sex == "男") == m


def test_homophone_groups_sound_alike():
    from pypinyin import Style, lazy_pinyin

    for group in names.HOMOPHONE_GROUPS:
        sounds = {tuple(lazy_pinyin(c, style=Style.NORMAL)) for c in group}
        assert len(sounds) == 1, group
        assert all(c in names.GIVEN_CHARS for c in group)
    for pair in ("伟玮", "丽莉", "明铭", "华桦", "静婧", "军君", "芳方", "红虹", "敏闽", "杰洁",
                 "强蔷", "涛韬", "勇咏", "艳燕", "斌彬", "峰锋", "婷亭", "鹏朋", "辉晖", "刚钢"):
        assert pair[1] in names.HOMOPHONES[pair[0]]


def test_every_clean_roster_member_is_clean(clean_rows, population, police, cremation):
    """Valid ID matching 性别/出生日期, one 正常 population record with the same name,
    no death record anywhere."""
    assert len(clean_rows) > 1500
    pop = population.groupby("身份证号")
    dead_ids = set(police["id"].dropna()) | set(cremation["身份证号"]) \
        | set(population.loc[population["人员状态"] == "死亡", "身份证号"])
    for _, row in clean_rows.iterrows():
        result = roster_id(row["身份证号码"])
        assert result.status == VALID, row["身份证号码"]
        if isinstance(row["身份证号码"], str) and len(clean_id_text(row["身份证号码"])) == 18:
            assert normalize_id(row["身份证号码"]).id_number == result.id_number
        assert result.sex == row["性别"]
        assert result.birth_date == parse_date(row["出生日期"])
        records = pop.get_group(result.id_number)
        assert len(records) == 1
        status, changed = records.iloc[0][["人员状态", "变动日期"]]
        # 正常, or a near miss: moved out only after month end (not a fault)
        assert status == "正常" or (status == "迁出" and parse_date(changed) > MONTH_END)
        assert records.iloc[0]["姓名"] == row["name"]
        assert result.id_number not in dead_ids


def test_household_sizes_match_except_where_flagged(roster, truth):
    flagged = set(truth.loc[truth["rule"] == "HOUSEHOLD_SIZE_CHANGED", "household_id"])
    sizes = roster.groupby("户编号").agg(rows=("姓名", "size"), stated=("保障人数", "first"))
    wrong = set(sizes.index[sizes["rows"] != sizes["stated"].astype(int)])
    size_faults = set(truth.loc[truth["fault"].str.startswith("保障人数"), "household_id"])
    assert wrong == size_faults and size_faults <= flagged


# --- truth ---------------------------------------------------------------------------

def test_truth_columns_and_counts(truth):
    assert list(truth.columns) == ["rule", "township", "village", "household_id", "name",
                                   "id_number", "months_overpaid", "fault"]
    counts = truth["rule"].value_counts()
    for rule, (low, high) in RULE_RANGES.items():
        assert low <= counts.get(rule, 0) <= high, (rule, counts.get(rule, 0))
    assert not truth.duplicated(["rule", "household_id", "name"]).any()
    deceased = truth["rule"].isin(["DECEASED_PAID", "DECEASED_SUSPECT"]) | (
        (truth["rule"] == "AMBIGUOUS_NAMESAKE") & truth["fault"].str.endswith("(the one who died)"))
    assert (truth.loc[deceased, "months_overpaid"] != "").all()
    assert (truth.loc[~deceased, "months_overpaid"] == "").all()
    assert (truth.loc[truth["rule"] == "INVALID_ID", "id_number"] == "").all()
    paid_households = set(truth.loc[truth["rule"] == "DECEASED_PAID", "household_id"])
    assert paid_households <= set(truth.loc[truth["rule"] == "HOUSEHOLD_SIZE_CHANGED", "household_id"])


def _death_dates_by_id(police, population, cremation) -> dict[str, list[dt.date]]:
    dates: dict[str, list[dt.date]] = {}
    for id_, day in zip(police["id"], police["death"]):
        if id_:
            dates.setdefault(id_, []).append(day)
    dead = population[population["人员状态"] == "死亡"]
    for id_, day in zip(dead["身份证号"], dead["变动日期"]):
        dates.setdefault(id_, []).append(parse_date(day))
    for id_, day in zip(cremation["身份证号"], cremation["死亡日期"]):
        dates.setdefault(id_, []).append(parse_date(day))
    return dates


def test_deceased_paid_months_match_the_death_dates_written(truth, police, population, cremation):
    dates = _death_dates_by_id(police, population, cremation)
    paid = truth[truth["rule"] == "DECEASED_PAID"]
    assert (paid["months_overpaid"].astype(int) == 0).any()
    for _, row in paid.iterrows():
        before_end = [d for d in dates[row["id_number"]] if d <= MONTH_END]
        assert before_end, row["name"]
        assert months_overpaid(min(before_end)) == int(row["months_overpaid"]), row["name"]
    conflicts = paid[paid["fault"].str.contains("conflict")]
    assert all(len(set(dates[i])) == 2 for i in conflicts["id_number"])


def test_suspects_have_a_death_record_but_no_exact_id(truth, police, population, cremation, roster):
    dates = _death_dates_by_id(police, population, cremation)
    suspects = truth[truth["rule"] == "DECEASED_SUSPECT"]
    stated = {(h, normal_name(n)): parse_date(b) for h, n, b in zip(roster["户编号"], roster["姓名"], roster["出生日期"])}
    for _, row in suspects.iterrows():
        assert row["id_number"] not in dates
        # the ID's birth date, or (a death that follows it) the roster's own 出生日期
        births = {normalize_id(row["id_number"]).birth_date, stated[(row["household_id"], normal_name(row["name"]))]}
        same_birth = police[police["birth"].isin(births)]
        assert (same_birth["death"].map(months_overpaid) == int(row["months_overpaid"])).any()


ROSTER_BIRTH_SUSPECT = "police record without id follows the roster's wrong 出生日期"


def test_a_death_that_follows_the_roster_birth_date_and_not_the_id(truth, police, roster):
    """Issue 29: the roster's 出生日期 disagrees with the ID (ID_ATTR_MISMATCH), and a police
    record without an ID, with the member's name, has the roster's date, not the ID's."""
    suspects = truth[(truth["rule"] == "DECEASED_SUSPECT") & (truth["fault"] == ROSTER_BIRTH_SUSPECT)]
    assert len(suspects) == 2
    attr = set(zip(truth.loc[truth["rule"] == "ID_ATTR_MISMATCH", "household_id"],
                   truth.loc[truth["rule"] == "ID_ATTR_MISMATCH", "name"]))
    for _, row in suspects.iterrows():
        assert (row["household_id"], row["name"]) in attr
        listed = roster[(roster["户编号"] == row["household_id"]) & (roster["姓名"].map(normal_name) == row["name"])]
        stated = parse_date(listed["出生日期"].iloc[0])
        assert stated != normalize_id(row["id_number"]).birth_date
        records = police[(police["姓名"].map(normal_name) == row["name"]) & (police["birth"] == stated)]
        assert len(records) == 1 and records["公民身份号码"].iloc[0] == ""
        assert months_overpaid(records["death"].iloc[0]) == int(row["months_overpaid"])


def test_namesakes_of_one_village_and_one_death_record_without_id(truth, police, roster):
    """Issue 29: two members of one village, in two households, with one name and birth date
    and valid IDs of their own; one police record without an ID names them both."""
    ambiguous = truth[truth["rule"] == "AMBIGUOUS_NAMESAKE"]
    assert len(ambiguous) >= 2
    for name, pair in ambiguous.groupby("name"):
        assert len(pair) == 2 and pair["village"].nunique() == 1 and pair["household_id"].nunique() == 2
        ids = pair["id_number"].tolist()
        assert ids[0] != ids[1] and all(normalize_id(i).status == VALID for i in ids)
        assert normalize_id(ids[0]).birth_date == normalize_id(ids[1]).birth_date
        assert pair["fault"].str.endswith("(the one who died)").sum() == 1
        records = police[(police["姓名"].map(normal_name) == name)
                         & (police["birth"] == normalize_id(ids[0]).birth_date)]
        assert len(records) == 1 and records["公民身份号码"].iloc[0] == ""
        assert records["户籍地址"].iloc[0].endswith(pair["village"].iloc[0])
        assert not set(ids) & set(police["id"])


EXCEL_SUSPECT = "police record with Excel-mangled id, same name and birth date"
LOWER_X_PAID = "police id lowercase x"


def excel_forms(id18: str) -> set[str]:
    """How Excel writes an 18-digit ID once it is a number: 5.00228E+17 or …000."""
    zeros = id18[:15] + "000"
    return {f"{float(zeros):.5E}", zeros}


def test_suspects_with_excel_mangled_police_ids(truth, police, population, cremation):
    """A police record whose 公民身份号码 Excel turned into a number (corrupted, never an
    exact match), with the member's own name and the true 出生日期 column."""
    suspects = truth[(truth["rule"] == "DECEASED_SUSPECT") & (truth["fault"] == EXCEL_SUSPECT)]
    assert len(suspects) == 3
    dates = _death_dates_by_id(police, population, cremation)
    cremation_texts = set(cremation["身份证号"].map(clean_id_text))
    written = []
    for _, row in suspects.iterrows():
        id18 = row["id_number"]
        records = police[police["公民身份号码"].isin(excel_forms(id18)) & (police["姓名"] == row["name"])]
        assert len(records) == 1, row["name"]
        record = records.iloc[0]
        assert normalize_id(record["公民身份号码"]).status == "corrupted", record["公民身份号码"]
        assert pd.isna(record["id"])
        assert record["birth"] == normalize_id(id18).birth_date
        assert months_overpaid(record["death"]) == int(row["months_overpaid"])
        # no source carries the exact ID, nor another copy of the mangled one
        assert id18 not in dates
        assert not excel_forms(id18) & cremation_texts
        written.append(record["公民身份号码"])
    # seed 1 happens to write both forms
    assert any("E+" in w for w in written) and any(re.fullmatch(r"\d{15}000", w) for w in written)


def test_excel_mangled_ids_are_never_valid_nor_near_another_id():
    from types import SimpleNamespace

    from flows.generate.data_faults import excel_mangled_id

    rng = np.random.default_rng(5)
    birth = np.datetime64("1930-01-01") + rng.integers(0, 15000, 3000).astype("timedelta64[D]")
    ids = issue_ids(rng, np.full(3000, 500228), birth, rng.random(3000) < 0.5)
    ctx = SimpleNamespace(rng=np.random.default_rng(6), taken_ids=set(ids))
    forms = [excel_mangled_id(ctx, i) for i in ids]
    assert {normalize_id(f).status for f in forms} == {"corrupted"}
    assert all(f in excel_forms(i) for f, i in zip(forms, ids))
    zeros = [f for f in forms if len(f) == 18]
    assert 0.3 < len(zeros) / len(forms) < 0.6, "both forms, chosen per record"
    others = set(ids)
    for f, own in zip(forms, ids):
        if len(f) == 18:
            near = {f[:i] + d + f[i + 1:] for i in range(18) for d in "0123456789X"}
            assert not (near - {own}) & others, f


def test_deceased_paid_with_lowercase_x_police_id(truth, police):
    paid = truth[(truth["rule"] == "DECEASED_PAID") & (truth["fault"] == LOWER_X_PAID)]
    assert len(paid) == 2
    for _, row in paid.iterrows():
        id18 = row["id_number"]
        assert id18.endswith("X")
        written = police.loc[police["id"] == id18, "公民身份号码"]
        assert list(written) == [id18.lower()]
    # the random police ID styles of the other DECEASED_PAID faults say so in the label
    styled = truth[(truth["rule"] == "DECEASED_PAID") & truth["fault"].str.endswith(", id lowercase x")]
    for id18 in styled["id_number"]:
        assert id18.lower() in set(police["公民身份号码"])


def test_hard_negatives_have_no_exact_death_before_month_end(truth, police, population, cremation):
    dates = _death_dates_by_id(police, population, cremation)
    negatives = truth[truth["rule"] == "HARD_NEGATIVE"]
    for _, row in negatives.iterrows():
        own = dates.get(row["id_number"], [])
        assert all(d > MONTH_END for d in own), row["name"]
        if "after month end" in row["fault"]:
            assert own, row["name"]
        elif "namesake" in row["fault"]:  # a namesake with another valid ID died
            namesakes = police[(police["姓名"] == row["name"]) & police["id"].notna()
                               & (police["id"] != row["id_number"])]
            assert len(namesakes) >= 1, row["name"]
            same_birth = namesakes["birth"] == normalize_id(row["id_number"]).birth_date
            assert same_birth.any() == ("same birth date" in row["fault"])


def test_invalid_and_malformed_rows(roster, truth):
    names_ = roster["姓名"].map(normal_name)
    by_key = {(h, n): i for i, (h, n) in enumerate(zip(roster["户编号"], names_))}
    for _, row in truth[truth["rule"] == "INVALID_ID"].iterrows():
        raw = roster.iloc[by_key[(row["household_id"], row["name"])]]["身份证号码"]
        assert roster_id(raw).status != VALID, raw
    rejects = truth[truth["rule"] == "REJECT"]
    assert set(rejects["fault"].str.extract(r"(三百|不详|empty)")[0]) == {"三百", "不详", "empty"}
    assert (roster["个人月保障金额（元）"] == "三百").sum() == 1
    assert (roster["出生日期"] == "不详").sum() == 1
    assert roster["姓名"].isna().sum() == 1


def _look_alike_keys(birth, name: str) -> set:
    """The generator's look-alike keys: the given-name sound, or the surname sound with one
    given-name syllable (flows/generate/namesakes.py)."""
    surname, given = names.sound_keys_of(name)
    keys = {(birth, "given", given)}
    keys |= {(birth, "surname+syllable", surname, syllable) for syllable in given.split(" ") if syllable}
    return keys


def test_no_unintended_lookalike_deaths(clean_rows, police, population, cremation):
    """No death record shares a clean member's birth date together with the sound of their
    given name, or of their surname and a given syllable, or carries an ID one digit or one
    swap away: a fuzzy matcher must find nothing that truth.csv does not list."""
    dead = population[population["人员状态"] == "死亡"]
    records = list(zip(police["birth"], police["姓名"], police["公民身份号码"].map(clean_id_text)))
    records += [(parse_date(b), n, i) for b, n, i in zip(dead["出生日期"], dead["姓名"], dead["身份证号"])]
    records += [(normalize_id(i).birth_date, n, i) for n, i in zip(cremation["逝者姓名"], cremation["身份证号"])]
    sounds = set()
    one_off = set()
    for birth, name, id_text in records:
        sounds |= _look_alike_keys(birth, normal_name(name))
        if len(id_text) == 18:
            one_off |= {id_text[:i] + "?" + id_text[i + 1:] for i in range(18)}
    id_texts = {i for _, _, i in records}
    for _, row in clean_rows.iterrows():
        result = roster_id(row["身份证号码"])
        assert not _look_alike_keys(result.birth_date, row["name"]) & sounds, row["name"]
        id18 = result.id_number
        assert not any(id18[:i] + "?" + id18[i + 1:] in one_off for i in range(18)), id18
        swaps = {id18[:i] + id18[i + 1] + id18[i] + id18[i + 2:] for i in range(17)} - {id18}
        assert not swaps & id_texts, id18


# --- poverty registry, temporary assistance, UNCOVERED_VULNERABLE ------------------------

def test_poverty_ledger_has_title_rows_then_exact_headers(out, poverty):
    path = only(out / "poverty", "*.xlsx")
    raw = pd.read_excel(path, engine="calamine", header=None, dtype=object)
    assert raw.iloc[0, 0] == "梁平区回龙镇建档立卡贫困户、边缘户、监测户名单"
    assert raw.iloc[1, 0].startswith("填报单位：")
    assert raw.iloc[2].isna().all()
    assert list(raw.iloc[3]) == POVERTY_COLUMNS == [
        "乡镇", "所属村组", "姓名", "身份证号码", "家庭人数", "与户主关系", "健康状况", "致贫原因",
        "家庭人均月纯收入（元）", "户类型", "联系电话"]
    assert (poverty["乡镇"] == "回龙镇").all()
    assert set(poverty["户类型"]) == {"未脱贫建档立卡", "边缘户", "脱贫监测户"}
    assert set(poverty["健康状况"]) <= {"健康", "慢性病", "长期慢性病", "重病", "残疾", "重度残疾"}
    assert {"重病", "重度残疾"} <= set(poverty["健康状况"])
    assert poverty["与户主关系"].isin(["户主", "配偶", "子女", "父母", "孙子女", "其他"]).all()
    assert poverty["致贫原因"].str.len().gt(0).all()
    assert poverty["联系电话"].map(lambda v: isinstance(v, str) and re.fullmatch(r"1\d{10}", v)).all()
    assert poverty["家庭人数"].map(lambda v: isinstance(v, (int, float))).all()
    assert 0.05 < (poverty["income"] < DIBAO_STANDARD).mean() < 0.5, "some below the standard, most above"
    # whole households: one 户主 per household, 家庭人数 rows with that 户主's phone
    heads = poverty[poverty["与户主关系"] == "户主"]
    assert 130 <= len(heads) <= 170 and 300 <= len(poverty) <= 500
    sizes = poverty.groupby("联系电话").agg(rows=("姓名", "size"), stated=("家庭人数", "first"))
    assert (sizes["rows"] == sizes["stated"]).all()
    assert poverty["id"].notna().all() and not poverty["id"].duplicated().any()


def test_assistance_csv_is_utf8_with_bom(out, assistance):
    data = only(out / "assistance", "*.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(assistance.columns) == ASSISTANCE_COLUMNS
    assert (assistance["救助类型"] == "临时救助").all()
    assert assistance["发放日期"].map(parse_date).map(lambda d: d is not None and d <= MONTH_END).all()
    assert 10 <= len(assistance) <= 40


def test_poverty_registry_overlaps_the_roster_cleanly(poverty, roster, truth, population, police,
                                                      cremation):
    """Covered people carry the roster's ID, name and village, in households without any
    fault; the others are living 正常 residents in no death record."""
    ids = roster["身份证号码"].map(lambda v: roster_id(v).id_number)
    on_roster = roster.assign(id=ids, name=roster["姓名"].map(normal_name)).dropna(subset=["id"])
    by_id = on_roster.drop_duplicates("id").set_index("id")
    covered = poverty[poverty["id"].isin(by_id.index)]
    assert 0.5 <= len(covered) / len(poverty) <= 0.8
    assert (covered["姓名"].map(normal_name).to_numpy() == by_id.loc[covered["id"], "name"].to_numpy()).all()
    assert (covered["所属村组"].to_numpy() == by_id.loc[covered["id"], "村（社区）"].to_numpy()).all()
    assert not set(by_id.loc[covered["id"], "户编号"]) & set(truth["household_id"])
    # most 未脱贫建档立卡 are covered
    poor = poverty["户类型"] == "未脱贫建档立卡"
    assert poverty.loc[poor, "id"].isin(by_id.index).mean() > 0.7
    assert set(poverty["所属村组"]) <= set(roster["村（社区）"])

    uncovered = poverty[~poverty["id"].isin(by_id.index)]
    assert len(uncovered) >= 100
    status = population.drop_duplicates("身份证号").set_index("身份证号")["人员状态"]
    assert (status.reindex(uncovered["id"]) == "正常").all()
    dead_ids = set(police["id"].dropna()) | set(cremation["身份证号"])
    assert not set(uncovered["id"]) & dead_ids


def test_uncovered_vulnerable_truth_is_exactly_what_the_rule_should_find(poverty, roster, assistance,
                                                                         truth):
    ids = set(roster["身份证号码"].map(lambda v: roster_id(v).id_number).dropna())
    assisted = set(assistance["身份证号码"].map(lambda v: normalize_id(v).id_number))
    uncovered = ~poverty["id"].isin(ids) & ~poverty["id"].isin(assisted)
    serious = poverty["健康状况"].isin(SERIOUS)
    low = poverty["income"] < DIBAO_STANDARD
    expected = poverty[uncovered & (serious | low)]

    found = truth[truth["rule"] == "UNCOVERED_VULNERABLE"]
    assert (found["household_id"] == "").all() and (found["months_overpaid"] == "").all()
    assert set(found["id_number"]) == set(expected["id"])
    by_id = poverty.set_index("id")
    for _, row in found.iterrows():
        person = by_id.loc[row["id_number"]]
        assert row["id_number"] not in ids and row["id_number"] not in assisted
        assert person["健康状况"] in SERIOUS or person["income"] < DIBAO_STANDARD
        assert row["name"] == normal_name(person["姓名"])
        assert (row["township"], row["village"]) == (person["乡镇"], person["所属村组"])
    assert not found["name"].duplicated().any()


def test_uncovered_vulnerable_near_misses_are_present(poverty, roster, assistance, truth):
    """Each way a registry person must NOT be flagged occurs at least once."""
    ids = set(roster["身份证号码"].map(lambda v: roster_id(v).id_number).dropna())
    assisted = set(assistance["身份证号码"].map(lambda v: normalize_id(v).id_number))
    flagged = set(truth.loc[truth["rule"] == "UNCOVERED_VULNERABLE", "id_number"])
    on_roster = poverty["id"].isin(ids)
    in_assistance = poverty["id"].isin(assisted)
    quiet = ~poverty["id"].isin(flagged)
    assert (quiet & on_roster & (poverty["健康状况"] == "重病")).any(), "covered 重病"
    assert (quiet & on_roster & (poverty["income"] < DIBAO_STANDARD)).any(), "covered, low income"
    assert (quiet & in_assistance & ~on_roster & (poverty["健康状况"] == "重病")).any(), "临时救助 重病"
    assert (quiet & in_assistance & ~on_roster & (poverty["income"] < DIBAO_STANDARD)).any()
    mild = poverty["健康状况"].isin(["健康", "慢性病"]) & (poverty["income"] >= DIBAO_STANDARD)
    assert (quiet & ~on_roster & ~in_assistance & mild).sum() >= 20, "uncovered, healthy enough"
    assert (quiet & ~on_roster & (poverty["income"] == DIBAO_STANDARD)).any(), "income exactly 620"
    # 临时救助 also pays people who are not on the registry
    assert not assisted <= set(poverty["id"])
