"""Tables as the source systems would export them: the messy shapes live here.

Each function turns the clean-plus-faults state (`Ctx`) into one output table with the
SPEC §3 headers, writing values the way they really arrive: mixed date formats,
lowercase x / full-width / spaced / 15-digit IDs, names with inner spaces or odd
middle dots.  Every messy form normalises back to the true value; only faults do not.
All of it is vectorised over rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from flows.normalize.dates import MIN_SERIAL

from . import names
from .data_faults import Ctx
from .idnumbers import id_styles, written_ids
from .people import RECIPIENT
from .poverty import ASSISTANCE_COLUMNS, POVERTY_COLUMNS, Poverty  # noqa: F401 (re-exported)
from .world import police_station

ROSTER_COLUMNS = ["区县", "乡镇（街道）", "村（社区）", "户编号", "户主姓名", "户主身份证号", "姓名",
                  "身份证号码", "性别", "出生日期", "与户主关系", "救助类型", "保障人数",
                  "个人月保障金额（元）", "纳入年月", "渐退起始年月", "健康状况", "联系电话"]
POLICE_COLUMNS = ["姓名", "公民身份号码", "性别", "出生日期", "死亡日期", "注销日期", "注销原因",
                  "户籍地址", "派出所"]
POPULATION_COLUMNS = ["姓名", "身份证号", "性别", "出生日期", "户籍地址", "户号", "与户主关系",
                      "人员状态", "变动日期"]
CREMATION_COLUMNS = ["逝者姓名", "身份证号", "死亡日期", "火化日期", "殡仪馆"]
TRUTH_COLUMNS = ["rule", "township", "village", "household_id", "name", "id_number",
                 "months_overpaid", "fault"]

# How often each written form appears (the rest is the plain form).
ROSTER_DATE_STYLES = {"iso": 0.45, "slash": 0.15, "dot": 0.05, "compact": 0.13, "chinese": 0.12,
                      "excel_date": 0.07, "excel_serial": 0.03}
POLICE_DATE_STYLES = {"iso": 0.5, "slash": 0.2, "dot": 0.05, "compact": 0.15, "chinese": 0.1}
ROSTER_ID_STYLES = {"lower_x": 0.5, "full_width": 0.01, "spaced": 0.01, "legacy15": 0.02}
ROSTER_NAME_SPACE_SHARE = 0.01
EXCEL_EPOCH = np.datetime64("1899-12-30")

_RELATION_ORDER = {"户主": 0, "配偶": 1, "子女": 2, "父母": 3, "孙子女": 4, "其他": 5}


# --- value formats -----------------------------------------------------------------

def choose(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys])
    return rng.choice(np.array(keys, dtype=object), size=n, p=p / p.sum())


def format_dates(dates, styles) -> np.ndarray:
    """Dates written in the given styles (iso 2020-05-01, slash 2020/5/1, dot 2020.5.1,
    compact 20200501, chinese 2020年5月1日; known only to the month: month_iso 2020-05,
    month_chinese 2020年5月, month_compact 202005); missing dates give ''."""
    days = pd.to_datetime(pd.Series(np.asarray(dates))).to_numpy().astype("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)  # ISO, vectorised in C
    text[np.isnat(days)] = ""
    styles = np.broadcast_to(np.asarray(styles, dtype=object), days.shape)
    other = (styles != "iso") & ~np.isnat(days)
    if other.any():
        iso = pd.Series(text[other])
        y, mm, dd = iso.str[:4], iso.str[5:7], iso.str[8:10]
        m, d = mm.str.lstrip("0"), dd.str.lstrip("0")
        style = styles[other]
        text[other] = np.select(
            [style == "slash", style == "dot", style == "compact", style == "chinese",
             style == "month_iso", style == "month_chinese", style == "month_compact"],
            [y + "/" + m + "/" + d, y + "." + m + "." + d, y + mm + dd, y + "年" + m + "月" + d + "日",
             y + "-" + mm, y + "年" + m + "月", y + mm],
            default=iso).astype(object)
    return text


def format_months(index: np.ndarray, chinese: np.ndarray) -> np.ndarray:
    """Month indexes as 2019-03 or 2019年3月; negative index gives ''."""
    index = np.asarray(index, dtype=np.int64)
    y = pd.Series(index // 12).astype(str)
    m = pd.Series(index % 12 + 1).astype(str)
    text = np.where(chinese, y + "年" + m + "月", y + "-" + m.str.zfill(2))
    return np.where(index >= 0, text, "").astype(object)


def sex_text(male) -> np.ndarray:
    return np.where(np.asarray(male, dtype=bool), "男", "女").astype(object)


def messy_names(rng: np.random.Generator, clean: np.ndarray) -> np.ndarray:
    """Names as typed into a roster: a few with a space after the surname (ASCII or
    ideographic), minority names with whatever middle dot the keyboard produced."""
    s = pd.Series(clean, dtype=object)
    n = len(s)
    dotted = s.str.contains(names.MIDDLE_DOT, regex=False).to_numpy()
    dot = rng.choice(np.array(names.MIDDLE_DOT_VARIANTS, dtype=object), n)
    out = s.copy()
    for variant in names.MIDDLE_DOT_VARIANTS:
        pick = dotted & (dot == variant)
        out[pick] = s[pick].str.replace(names.MIDDLE_DOT, variant, regex=False)
    spaced = ~dotted & (rng.random(n) < ROSTER_NAME_SPACE_SHARE)
    gap = np.where(rng.random(n) < 0.5, " ", "\u3000")
    out[spaced] = s[spaced].str[:1] + gap[spaced] + s[spaced].str[1:]
    return out.to_numpy(dtype=object)


# --- roster --------------------------------------------------------------------------

def roster_frame(ctx: Ctx) -> pd.DataFrame:
    """One row per roster row, SPEC headers, plus helper columns for the writer:
    _id_number / _head_id_number (cell holds a number), _birth_kind (text | excel_date
    | excel_serial) and _birth_value (the date or serial for non-text cells)."""
    rng = ctx.rng
    r, h, p = ctx.roster, ctx.households.loc[ctx.roster["hh"]], ctx.people.loc[ctx.roster["pid"]]
    n = len(r)
    out = pd.DataFrame(index=r.index)
    out["区县"] = h["district"].to_numpy()
    out["乡镇（街道）"] = h["township"].to_numpy()
    out["村（社区）"] = h["village"].to_numpy()
    out["户编号"] = h["household_id"].to_numpy()

    written_name = messy_names(rng, p["name"].to_numpy())
    out["姓名"] = np.where(r["name_text"].notna(), r["name_text"], written_name)
    ids = written_ids(p["id18"].to_numpy(), id_styles(rng, p["id18"].to_numpy(), ROSTER_ID_STYLES))
    out["身份证号码"] = np.where(r["id_raw"].notna(), r["id_raw"], ids)
    out["_id_number"] = r["id_is_number"].to_numpy()

    male = np.where(r["male_stated"].notna(), r["male_stated"], p["male"]).astype(bool)
    out["性别"] = sex_text(male)
    birth = np.where(r["birth_stated"].notna(), r["birth_stated"], p["birth"])
    _put_birth_dates(rng, out, pd.to_datetime(birth), r["birth_text"].to_numpy())

    out["与户主关系"] = r["relation"].to_numpy()
    out["救助类型"] = h["benefit"].to_numpy()
    rows_per_household = r.groupby("hh").size()
    out["保障人数"] = (rows_per_household.loc[r["hh"]].to_numpy()
                   + h["size_delta"].to_numpy()).astype(int)
    out["个人月保障金额（元）"] = np.where(r["amount_text"].notna(), r["amount_text"],
                                   r["amount"].astype(int)).astype(object)
    chinese = (h["month_style"] == "chinese").to_numpy()
    out["纳入年月"] = format_months(h["enrolled"].to_numpy(), chinese)
    out["渐退起始年月"] = format_months(h["exit_month"].to_numpy(), chinese)
    out["健康状况"] = r["health"].to_numpy()
    out["联系电话"] = h["phone"].to_numpy()
    out["_hh"] = r["hh"].to_numpy()
    out["_order"] = r["relation"].map(_RELATION_ORDER).to_numpy() * 10**7 + np.arange(n)
    _put_household_head(out)
    out = out.sort_values(["乡镇（街道）", "户编号", "_order"], kind="stable")
    return out


def _put_birth_dates(rng: np.random.Generator, out: pd.DataFrame, birth: pd.DatetimeIndex,
                     override: np.ndarray) -> None:
    styles = choose(rng, ROSTER_DATE_STYLES, len(out))
    serial = (birth.to_numpy().astype("datetime64[D]") - EXCEL_EPOCH).astype(np.int64)
    # A bare number up to 2100 reads as a year, not a date (flows.normalize.dates takes
    # serials 2101-73050): use a date cell for those (births before 1905-10).
    styles = np.where((styles == "excel_serial") & (serial < MIN_SERIAL), "excel_date", styles)
    text = format_dates(birth, styles)
    has_override = pd.notna(override)
    kind = np.where(has_override, "text", np.where(np.isin(styles, ["excel_date", "excel_serial"]),
                                                   styles, "text"))
    out["出生日期"] = np.where(has_override, override, text)
    out["_birth_kind"] = kind
    out["_birth_value"] = np.where(kind == "excel_serial", serial.astype(object),
                                   np.array(birth.date, dtype=object))


def _put_household_head(out: pd.DataFrame) -> None:
    """户主姓名 / 户主身份证号 copied from the head's own row, as written there."""
    heads = out[out["与户主关系"] == "户主"].drop_duplicates("_hh").set_index("_hh")
    out["户主姓名"] = heads["姓名"].reindex(out["_hh"]).to_numpy()
    out["户主身份证号"] = heads["身份证号码"].reindex(out["_hh"]).to_numpy()
    out["_head_id_number"] = heads["_id_number"].reindex(out["_hh"]).fillna(False).to_numpy(bool)


# --- population ----------------------------------------------------------------------

def population_frames(ctx: Ctx) -> dict[int, pd.DataFrame]:
    """计生全员人口 per township (index into world.townships): recipients and residents."""
    p = ctx.people
    mine = p[(p["township_i"] >= 0) & p["in_population"]]
    iso = np.full(len(mine), "iso", dtype=object)
    out = pd.DataFrame({
        "姓名": mine["pop_name"].where(mine["pop_name"].notna(), mine["name"]).to_numpy(),
        "身份证号": mine["id18"].to_numpy(),
        "性别": sex_text(mine["male"]),
        "出生日期": format_dates(mine["birth"], iso),
        "户籍地址": mine["address"].to_numpy(),
        "户号": mine["hu_hao"].to_numpy(),
        "与户主关系": mine["relation"].to_numpy(),
        "人员状态": mine["pop_status"].to_numpy(),
        "变动日期": format_dates(mine["pop_date"], _styles_or(mine, "pop_date_style", iso)),
        "_order": mine["relation"].map(_RELATION_ORDER).to_numpy(),
        "_town": mine["township_i"].to_numpy(),
    })
    out = out.sort_values(["户号", "_order"], kind="stable").drop(columns="_order")
    return {int(t): frame.drop(columns="_town") for t, frame in out.groupby("_town")}


# --- police deaths and cremation ---------------------------------------------------

def _clean_deaths(ctx: Ctx, district: str, flag: str) -> pd.DataFrame:
    """Death records of people nobody injected a fault into."""
    p = ctx.people
    mine = p[p[flag] & (p["district"] == district) & (p["kind"] != RECIPIENT)]
    stations = {town: police_station(district, town) for town in mine["township"].unique()}
    return pd.DataFrame({
        "name": mine["name"].to_numpy(), "id18": mine["id18"].to_numpy(),
        "male": mine["male"].to_numpy(), "birth": mine["birth"].to_numpy(),
        "death": mine["death"].to_numpy(), "address": mine["address"].to_numpy(),
        "station": mine["township"].map(stations).to_numpy()})


def _fault_deaths(ctx: Ctx, district: str, source: str) -> pd.DataFrame:
    rows = [rec for rec in ctx.records if rec["source"] == source and rec["district"] == district]
    frame = pd.DataFrame(rows, columns=["name", "id_text", "male", "birth", "death", "address",
                                        "station", "date_style"])
    frame["birth"] = pd.to_datetime(frame["birth"])
    frame["death"] = pd.to_datetime(frame["death"])
    return frame


def police_frame(ctx: Ctx, district: str) -> pd.DataFrame:
    rng = ctx.rng
    clean = _clean_deaths(ctx, district, "police")
    ids = clean["id18"].to_numpy()
    style = id_styles(rng, ids, {"lower_x": 0.5})
    old = pd.to_datetime(clean["birth"]).dt.year.to_numpy() < 1940
    style = np.where(old & (rng.random(len(ids)) < 0.2), "legacy15", style)  # old paper-era IDs
    clean["id_text"] = written_ids(ids, style)
    both = pd.concat([clean.drop(columns="id18"), _fault_deaths(ctx, district, "police")],
                     ignore_index=True)
    n = len(both)
    deregistered = pd.to_datetime(both["death"]) + pd.to_timedelta(rng.integers(1, 45, n), unit="D")
    # a record known only to the month writes its death and deregistration dates that way
    month_only = both["date_style"].notna().to_numpy() if "date_style" in both else np.zeros(n, bool)
    death_styles = np.where(month_only, both.get("date_style"), choose(rng, POLICE_DATE_STYLES, n))
    dereg_styles = np.where(month_only, both.get("date_style"), choose(rng, POLICE_DATE_STYLES, n))
    out = pd.DataFrame({
        "姓名": both["name"].to_numpy(), "公民身份号码": both["id_text"].to_numpy(),
        "性别": sex_text(both["male"].astype(bool)),
        "出生日期": format_dates(both["birth"], choose(rng, POLICE_DATE_STYLES, n)),
        "死亡日期": format_dates(both["death"], death_styles),
        "注销日期": format_dates(deregistered, dereg_styles),
        "注销原因": "死亡", "户籍地址": both["address"].to_numpy(), "派出所": both["station"].to_numpy(),
        "_sort": deregistered.to_numpy(),
    })
    # Exports come sorted by 注销日期; faults must not sit together at the end.
    out = out.iloc[rng.permutation(n)].sort_values("_sort", kind="stable")
    return out.drop(columns="_sort")


def _styles_or(frame: pd.DataFrame, column: str, default: np.ndarray) -> np.ndarray:
    """A per-row date style where a fault set one, else `default`."""
    if column not in frame:
        return default
    return np.where(frame[column].notna().to_numpy(), frame[column].to_numpy(), default)


def cremation_frame(ctx: Ctx, district: str) -> pd.DataFrame:
    rng = ctx.rng
    clean = _clean_deaths(ctx, district, "cremation").rename(columns={"id18": "id_text"})
    both = pd.concat([clean, _fault_deaths(ctx, district, "cremation")], ignore_index=True)
    n = len(both)
    death = pd.to_datetime(both["death"])
    cremated = death + pd.to_timedelta(rng.integers(1, 6, n), unit="D")
    out = pd.DataFrame({
        "逝者姓名": both["name"].to_numpy(), "身份证号": both["id_text"].to_numpy(),
        "死亡日期": format_dates(death, np.full(n, "iso")),
        "火化日期": format_dates(cremated, np.full(n, "iso")),
        "殡仪馆": f"{district}殡仪馆", "_sort": cremated.to_numpy()})
    out = out.iloc[rng.permutation(n)].sort_values("_sort", kind="stable")
    return out.drop(columns="_sort")


# --- truth -------------------------------------------------------------------------

def truth_frame(ctx: Ctx, poverty: Poverty | None = None) -> pd.DataFrame:
    """One row per (rule, roster member) fault, plus the UNCOVERED_VULNERABLE people of
    the poverty registry (no household_id: they are not on the roster)."""
    t = pd.DataFrame(ctx.truth, columns=["rule", "row", "fault", "months_overpaid"])
    r = ctx.roster.loc[t["row"]]
    h = ctx.households.loc[r["hh"]]
    p = ctx.people.loc[r["pid"]]
    invalid = r["id_raw"].notna().to_numpy()  # only INVALID_ID faults overwrite the ID
    out = pd.DataFrame({
        "rule": t["rule"].to_numpy(), "township": h["township"].to_numpy(),
        "village": h["village"].to_numpy(), "household_id": h["household_id"].to_numpy(),
        "name": np.where(r["name_text"].notna(), r["name_text"], p["name"]).astype(object),
        "id_number": np.where(invalid, "", p["id18"]).astype(object),
        "months_overpaid": pd.array(t["months_overpaid"].tolist(), dtype="Int64"),
        "fault": t["fault"].to_numpy()})
    if poverty is not None and len(poverty.truth):
        out = pd.concat([out, uncovered_truth_frame(ctx, poverty)], ignore_index=True)
    return out.sort_values(["township", "household_id", "rule", "name"],
                           kind="stable", ignore_index=True)


def uncovered_truth_frame(ctx: Ctx, poverty: Poverty) -> pd.DataFrame:
    pid = poverty.truth["pid"].to_numpy()
    return pd.DataFrame({
        "rule": "UNCOVERED_VULNERABLE", "township": poverty.truth["township"].to_numpy(),
        "village": poverty.truth["village"].to_numpy(), "household_id": "",
        "name": ctx.people["name"].to_numpy()[pid], "id_number": ctx.people["id18"].to_numpy()[pid],
        "months_overpaid": pd.array([None] * len(pid), dtype="Int64"),
        "fault": poverty.truth["fault"].to_numpy()})


# --- poverty registry and temporary assistance ---------------------------------------

POVERTY_ID_STYLES = {"lower_x": 0.3}
ASSISTANCE_DATE_STYLES = {"iso": 0.6, "slash": 0.25, "chinese": 0.15}


def poverty_frames(rng: np.random.Generator, ctx: Ctx, poverty: Poverty) -> dict[int, pd.DataFrame]:
    """建档立卡/边缘户/监测户 名单 per township (index into world.townships): one row per
    member, households together, villages in the township's order."""
    reg = poverty.registry
    pid = reg["pid"].to_numpy()
    p = ctx.people
    ids = p["id18"].to_numpy()[pid]
    size = reg.groupby("hkey")["pid"].transform("size").to_numpy()
    out = pd.DataFrame({
        "乡镇": p["township"].to_numpy()[pid], "所属村组": reg["village"].to_numpy(),
        "姓名": p["name"].to_numpy()[pid],
        "身份证号码": written_ids(ids, id_styles(rng, ids, POVERTY_ID_STYLES)),
        "家庭人数": size.astype(int), "与户主关系": reg["relation"].to_numpy(),
        "健康状况": reg["health"].to_numpy(), "致贫原因": reg["cause"].to_numpy(),
        "家庭人均月纯收入（元）": reg["income"].to_numpy(dtype=float),
        "户类型": reg["household_type"].to_numpy(), "联系电话": reg["phone"].to_numpy(),
        "_town": reg["township_i"].to_numpy()})
    village_no = {(t_i, v): i for t_i, town in enumerate(ctx.world.townships)
                  for i, v in enumerate(town.villages)}
    out["_village"] = [village_no[k] for k in zip(out["_town"], out["所属村组"])]
    hkeys = reg["hkey"].unique()
    household_order = dict(zip(hkeys, rng.permutation(len(hkeys))))
    out["_household"] = reg["hkey"].map(household_order).to_numpy()
    out["_relation"] = reg["relation"].map(_RELATION_ORDER).to_numpy()
    out = out.sort_values(["_town", "_village", "_household", "_relation"], kind="stable")
    out = out.drop(columns=["_village", "_household", "_relation"])
    return {int(t): frame.drop(columns="_town") for t, frame in out.groupby("_town")}


def assistance_frames(rng: np.random.Generator, ctx: Ctx, poverty: Poverty) -> dict[int, pd.DataFrame]:
    """临时救助发放名单 per township, in payment-date order."""
    a = poverty.assistance
    pid = a["pid"].to_numpy()
    p = ctx.people
    n = len(a)
    out = pd.DataFrame({
        "乡镇": p["township"].to_numpy()[pid], "村（社区）": a["village"].to_numpy(),
        "姓名": p["name"].to_numpy()[pid], "身份证号码": p["id18"].to_numpy()[pid],
        "救助类型": "临时救助",
        "发放日期": format_dates(a["date"], choose(rng, ASSISTANCE_DATE_STYLES, n)),
        "_town": a["township_i"].to_numpy(), "_sort": a["date"].to_numpy()})
    out = out.iloc[rng.permutation(n)].sort_values(["_town", "_sort"], kind="stable")
    return {int(t): frame.drop(columns=["_town", "_sort"]) for t, frame in out.groupby("_town")}
