"""The poverty registry (建档立卡/边缘户/监测户 名单) and temporary assistance (临时救助),
with the people UNCOVERED_VULNERABLE must find labelled in truth.

Built after every roster fault and namesake separation, from its own random stream,
so the roster, population, deaths and cremation files (and their truth) are exactly
what they would be without it.  Per township (counts in `PER_TOWNSHIP`):

  * covered households — clean roster households (no fault, no near miss), listed
    whole with the roster's IDs, names and villages; most are 未脱贫建档立卡, and some
    members are 重病 or below the 低保标准 — covered, so never flagged;
  * uncovered households — resident households (all members alive, 正常 in the
    population file, in no death record) that are not on the roster:
      - low income: 家庭人均月纯收入 below the 低保标准 → every member in truth;
      - serious: one member 重病 or 重度残疾, income above the standard → that member;
      - assisted: like the two above, but the people concerned are in the 临时救助
        list → not in truth;
      - boundary: income exactly the standard (the rule is "below") → not in truth;
      - the rest: 健康/慢性病/长期慢性病/残疾 with income above the standard → not in truth.

The temporary-assistance list holds the assisted registry people plus residents and
roster members who are not on the registry.  Truth is computed from the written
tables (uncovered, not assisted, serious or below the standard), not from the plan.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data_faults import Ctx
from .people import RESIDENT, phones, rename

DIBAO_STANDARD = 620  # 元/人·月: configs/default.toml [thresholds] dibao_standard_monthly

POVERTY_COLUMNS = ["乡镇", "所属村组", "姓名", "身份证号码", "家庭人数", "与户主关系", "健康状况",
                   "致贫原因", "家庭人均月纯收入（元）", "户类型", "联系电话"]
ASSISTANCE_COLUMNS = ["乡镇", "村（社区）", "姓名", "身份证号码", "救助类型", "发放日期"]
HOUSEHOLD_TYPES = ("未脱贫建档立卡", "边缘户", "脱贫监测户")
SERIOUS = ("重病", "重度残疾")

# Households per township, by role.  Small households (1-3 people) take the low-income
# roles so that truth stays near 15 people a township.
PER_TOWNSHIP = {
    "covered": 95,
    "low_income": 4,           # uncovered, income < standard: all members in truth
    "low_income_assisted": 1,  # the same, but the whole household got 临时救助
    "serious": 7,              # uncovered, one member 重病/重度残疾: that member in truth
    "serious_assisted": 3,     # the same, but that member got 临时救助
    "boundary": 1,             # uncovered, income exactly the standard
    "near_miss": 40,           # uncovered, not serious, income above the standard
}
ASSISTANCE_OTHERS_PER_TOWNSHIP = {"resident": 9, "roster": 4}
COVERED_TYPE_P = (0.8, 0.1, 0.1)
UNCOVERED_TYPE_P = (0.15, 0.5, 0.35)
COVERED_BELOW_STANDARD_SHARE = 0.35

_MILD_HEALTH = np.array(["健康", "慢性病", "长期慢性病", "残疾"], dtype=object)
_MILD_HEALTH_P = [0.58, 0.22, 0.12, 0.08]
_OTHER_CAUSES = np.array(["因学", "缺劳力", "缺技术", "因灾", "缺资金", "交通条件落后",
                          "自身发展动力不足"], dtype=object)


@dataclass
class Poverty:
    registry: pd.DataFrame    # one row per listed person (pid, household fields, township_i)
    assistance: pd.DataFrame  # one row per 临时救助 payment (pid, township_i, village, date)
    truth: pd.DataFrame       # UNCOVERED_VULNERABLE: pid, township, village, fault


def build_poverty(rng: np.random.Generator, ctx: Ctx) -> Poverty:
    covered = _covered_households(rng, ctx)
    uncovered = _uncovered_households(rng, ctx)
    households = pd.concat([covered, uncovered], ignore_index=True)
    members = _members(rng, ctx, households)
    households = _household_facts(rng, households, members)
    registry = members.merge(households[["hkey", "income", "household_type", "cause", "phone"]],
                             on="hkey", how="left")
    assistance = _assistance(rng, ctx, households, registry)
    truth = _truth(ctx, registry, assistance)
    _distinct_truth_names(rng, ctx, truth["pid"].to_numpy())
    return Poverty(registry, assistance, truth)


# --- choosing households ---------------------------------------------------------

def _per_town(rng: np.random.Generator, cand: pd.DataFrame, n: int) -> pd.DataFrame:
    """`n` random rows of `cand` per township (cand has a township_i column)."""
    cand = cand.assign(_key=rng.random(len(cand))).sort_values(["township_i", "_key"], kind="stable")
    return cand[cand.groupby("township_i").cumcount() < n].drop(columns="_key")


def _covered_households(rng: np.random.Generator, ctx: Ctx) -> pd.DataFrame:
    h = ctx.households
    # households of the faults added last (faults.inject_all) count as free here, so the
    # registry is the same as before those faults were added
    free = h.loc[~h["used"] | h.get("late_fault", False), ["township_i", "village"]]
    chosen = _per_town(rng, free.rename_axis("hh").reset_index(), PER_TOWNSHIP["covered"])
    return chosen.assign(role="covered", covered=True, hkey="R" + chosen["hh"].astype(str))


def _uncovered_households(rng: np.random.Generator, ctx: Ctx) -> pd.DataFrame:
    """Resident households whose members are all alive, 正常 and in the population file."""
    p = ctx.people
    res = p[(p["kind"] == RESIDENT).to_numpy()]
    fine = ((res["pop_status"] == "正常") & res["in_population"] & ~res["police"]
            & ~res["cremation"] & res["death"].isna())
    per_hh = pd.DataFrame({"hh": res["hh"].to_numpy(), "fine": fine.to_numpy(),
                           "township_i": res["township_i"].to_numpy(),
                           "village": res["village"].to_numpy()})
    grouped = per_hh.groupby("hh", sort=True).agg(fine=("fine", "all"), size=("fine", "size"),
                                                  township_i=("township_i", "first"),
                                                  village=("village", "first"))
    cand = grouped[grouped["fine"]].drop(columns="fine").reset_index()
    n_uncovered = sum(n for role, n in PER_TOWNSHIP.items() if role != "covered")
    chosen = _per_town(rng, cand, n_uncovered)
    # Roles in the random order: small households first take the low-income roles.
    chosen = chosen.assign(_small=chosen["size"] <= 3)
    chosen["_rank_small"] = chosen.groupby(["township_i", "_small"]).cumcount()
    n_low = PER_TOWNSHIP["low_income"]
    n_low_all = n_low + PER_TOWNSHIP["low_income_assisted"]
    role = np.full(len(chosen), "", dtype=object)
    small, rank = chosen["_small"].to_numpy(), chosen["_rank_small"].to_numpy()
    role[small & (rank < n_low)] = "low_income"
    role[small & (rank >= n_low) & (rank < n_low_all)] = "low_income_assisted"
    rest = role == ""
    rest_rank = pd.Series(rest).groupby(chosen["township_i"].to_numpy()).cumsum().to_numpy() - 1
    order = ["serious", "serious_assisted", "boundary", "near_miss"]
    bounds = np.cumsum([PER_TOWNSHIP[r] for r in order])
    role[rest] = np.array(order, dtype=object)[np.searchsorted(bounds, rest_rank[rest], side="right")
                                               .clip(max=len(order) - 1)]
    chosen = chosen.drop(columns=["_small", "_rank_small", "size"])
    return chosen.assign(role=role, covered=False, hkey="P" + chosen["hh"].astype(str))


# --- members and household facts -------------------------------------------------

def _members(rng: np.random.Generator, ctx: Ctx, households: pd.DataFrame) -> pd.DataFrame:
    """Every member of each chosen household, with 与户主关系 and 健康状况."""
    r, p = ctx.roster, ctx.people
    cov = households.loc[households["covered"], "hh"]
    on_roster = r[r["hh"].isin(cov).to_numpy()]
    roster_members = pd.DataFrame({
        "pid": on_roster["pid"].to_numpy(), "hkey": "R" + on_roster["hh"].astype(str).to_numpy(),
        "relation": on_roster["relation"].to_numpy(), "health": on_roster["health"].to_numpy()})
    unc = households.loc[~households["covered"], "hh"]
    res = p[(p["kind"] == RESIDENT).to_numpy() & p["hh"].isin(unc).to_numpy()]
    resident_members = pd.DataFrame({
        "pid": res.index.to_numpy(), "hkey": "P" + res["hh"].astype(str).to_numpy(),
        "relation": res["relation"].to_numpy(),
        "health": rng.choice(_MILD_HEALTH, len(res), p=_MILD_HEALTH_P)})
    members = pd.concat([roster_members, resident_members], ignore_index=True)
    members = members.join(households.set_index("hkey")[["role", "covered", "township_i",
                                                         "village"]], on="hkey")

    # The roster's 残疾 / 慢性病 are graded in the ledger.
    n = len(members)
    health = members["health"].to_numpy().copy()
    health = np.where((health == "残疾") & members["covered"] & (rng.random(n) < 0.4), "重度残疾", health)
    health = np.where((health == "慢性病") & members["covered"] & (rng.random(n) < 0.3), "长期慢性病", health)
    # One member of each "serious" household is 重病 or 重度残疾.
    serious_hh = members["role"].isin(["serious", "serious_assisted"]).to_numpy()
    pick = pd.Series(rng.random(n)).where(serious_hh)
    first = pick.groupby(members["hkey"].to_numpy()).transform("min").to_numpy() == pick.to_numpy()
    chosen = serious_hh & first
    kind = np.where(members["role"].to_numpy() == "serious_assisted", "重病",
                    np.where(rng.random(n) < 0.6, "重病", "重度残疾"))
    members["health"] = np.where(chosen, kind, health).astype(object)
    members["marked"] = chosen  # the member a serious household is about
    return members


def _household_facts(rng: np.random.Generator, households: pd.DataFrame,
                     members: pd.DataFrame) -> pd.DataFrame:
    """家庭人均月纯收入, 户类型, 致贫原因 and 联系电话 per household."""
    n = len(households)
    role = households["role"].to_numpy()
    low = np.isin(role, ["low_income", "low_income_assisted"])
    covered = households["covered"].to_numpy()
    above = np.round(np.exp(rng.normal(np.log(1000), 0.35, n)).clip(640, 3500), 2)
    below = np.round(rng.uniform(240, 600, n), 2)
    covered_below = covered & (rng.random(n) < COVERED_BELOW_STANDARD_SHARE)
    income = np.where(low | covered_below, below, above)
    income = np.where(role == "boundary", float(DIBAO_STANDARD), income)

    types = np.array(HOUSEHOLD_TYPES, dtype=object)
    household_type = np.where(covered, rng.choice(types, n, p=COVERED_TYPE_P),
                              rng.choice(types, n, p=UNCOVERED_TYPE_P))

    health = members["health"]
    flags = pd.DataFrame({"hkey": members["hkey"],
                          "ill": health.isin(["重病", "长期慢性病"]), "chronic": health == "慢性病",
                          "disabled": health.isin(["残疾", "重度残疾"])})
    flags = flags.groupby("hkey").any().reindex(households["hkey"], fill_value=False)
    ill, chronic, disabled = (flags[k].to_numpy(bool) for k in ("ill", "chronic", "disabled"))
    other = rng.choice(_OTHER_CAUSES, n)
    draw = rng.random(n)
    cause = np.select([ill & (draw < 0.7), disabled & (draw < 0.75), chronic & (draw < 0.3)],
                      ["因病", "因残", "因病"], default=other)
    return households.assign(income=income, household_type=household_type,
                             cause=cause.astype(object), phone=phones(rng, n))


# --- temporary assistance ----------------------------------------------------------

def _assistance(rng: np.random.Generator, ctx: Ctx, households: pd.DataFrame,
                registry: pd.DataFrame) -> pd.DataFrame:
    """Payments to the assisted registry people, to residents not on the registry and
    to a few roster members (低保 households get 临时救助 too)."""
    p, h, r = ctx.people, ctx.households, ctx.roster
    whole = registry["role"].to_numpy() == "low_income_assisted"
    marked = (registry["role"].to_numpy() == "serious_assisted") & registry["marked"].to_numpy()
    listed = set(registry["pid"])
    assisted = [registry.loc[whole | marked, "pid"].to_numpy()]

    res = p[(p["kind"] == RESIDENT).to_numpy() & (p["pop_status"] == "正常").to_numpy()
            & p["in_population"].to_numpy() & ~p.index.isin(listed)]
    res = res[~res["hh"].isin(households.loc[~households["covered"], "hh"]).to_numpy()]
    one_per_hh = res.assign(pid=res.index)[["pid", "hh", "township_i"]].drop_duplicates("hh")
    assisted.append(_per_town(rng, one_per_hh, ASSISTANCE_OTHERS_PER_TOWNSHIP["resident"])["pid"].to_numpy())

    free_hh = h.index[~h["used"].to_numpy() & ~h.index.isin(households.loc[households["covered"], "hh"])]
    heads = r[r["hh"].isin(free_hh).to_numpy() & (r["relation"] == "户主").to_numpy()]
    heads = pd.DataFrame({"pid": heads["pid"].to_numpy(),
                          "township_i": h["township_i"].to_numpy()[heads["hh"].to_numpy()]})
    heads = heads.drop_duplicates("pid")
    assisted.append(_per_town(rng, heads, ASSISTANCE_OTHERS_PER_TOWNSHIP["roster"])["pid"].to_numpy())

    pid = np.concatenate(assisted)
    day = np.datetime64(ctx.month.last_day) - rng.integers(0, 150, len(pid)).astype("timedelta64[D]")
    return pd.DataFrame({"pid": pid, "township_i": p["township_i"].to_numpy()[pid],
                         "village": p["village"].to_numpy()[pid], "date": day})


def _distinct_truth_names(rng: np.random.Generator, ctx: Ctx, pids: np.ndarray) -> None:
    """Truth rows without a household are keyed by name: rename the (uncovered, alive,
    resident) people whose names would repeat among them."""
    for _ in range(20):
        dup = pd.Series(ctx.people["name"].to_numpy()[pids]).duplicated().to_numpy()
        if not dup.any():
            return
        ctx.people = rename(rng, ctx.people, ctx.people.index.isin(pids[dup]))
    raise RuntimeError("could not make UNCOVERED_VULNERABLE names distinct")


# --- truth -------------------------------------------------------------------------

def _truth(ctx: Ctx, registry: pd.DataFrame, assistance: pd.DataFrame) -> pd.DataFrame:
    serious = registry["health"].isin(SERIOUS).to_numpy()
    low = registry["income"].to_numpy() < DIBAO_STANDARD
    flagged = ~registry["covered"].to_numpy() & ~registry["pid"].isin(assistance["pid"]).to_numpy() \
        & (serious | low)
    hit = registry[flagged]
    reason = np.where(serious[flagged] & low[flagged], hit["health"] + " and income below 低保标准",
                      np.where(serious[flagged], hit["health"], "income below 低保标准"))
    fault = "uncovered " + hit["household_type"] + ": " + reason
    p = ctx.people
    return pd.DataFrame({"pid": hit["pid"].to_numpy(),
                         "township": p["township"].to_numpy()[hit["pid"].to_numpy()],
                         "village": p["village"].to_numpy()[hit["pid"].to_numpy()],
                         "fault": fault.to_numpy()})
