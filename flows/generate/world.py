"""The synthetic world's geography: districts, townships, villages, ID region codes.

Geography does not depend on the seed: 回龙镇 always has the same twelve villages,
so a seed only changes who lives there.  Region codes follow GB/T 2260 history: an
ID keeps the code that was current when it was issued (梁平: 512224 before 1992,
511223 1992-97, 500228 1997-2016, 500155 since 2016).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

SCALES = ("township", "district", "city")


@dataclass(frozen=True)
class Township:
    name: str
    abbr: str  # household-number prefix, e.g. HL-0001-023
    district: str
    villages: tuple[str, ...]


@dataclass(frozen=True)
class District:
    name: str
    code: str  # current code (IDs issued since `code_since`)
    code_since: int
    earlier_code: str  # code in use 1997 .. code_since
    sichuan_codes: tuple[tuple[str, int], ...]  # (code, last year of issue) before 1997
    township_specs: tuple[tuple[str, str], ...]  # (name, abbr) of generated townships
    other_towns: tuple[str, ...]  # towns whose people appear only as strangers


@dataclass(frozen=True)
class World:
    districts: tuple[District, ...]
    townships: tuple[Township, ...]

    def district(self, name: str) -> District:
        return next(d for d in self.districts if d.name == name)


HUILONG_VILLAGES = (
    "回龙社区", "天竺村", "龙井村", "新民村", "红旗村", "双桂村",
    "福禄村", "永安村", "石桥村", "大河村", "长岭村", "金星村",
)

VILLAGE_POOL = (
    "太平村", "白鹤村", "青龙村", "柏林村", "三合村", "五一村", "和平村", "光明村",
    "胜利村", "团结村", "向阳村", "东风村", "龙滩村", "新华村", "明月村", "双河村",
    "高峰村", "狮子村", "桂花村", "杨柳村", "观音村", "黄泥村", "凉水村", "花园村",
    "荷花村", "马鞍村", "铜锣村", "复兴村", "兴隆村", "新建村", "联合村", "龙凤村",
    "白土村", "松林村", "竹林村", "七星村", "金龙村", "水口村", "高桥村", "河坝村",
    "石龙村", "长春村", "双龙村", "永兴村", "朝阳村", "红星村", "建设村", "互助村",
    "八一村", "天生村", "梨园村", "乌龙村", "堰塘村", "岩口村", "大林村", "新桥村",
)
_COMMUNITY_POOL = (
    "东街社区", "西街社区", "南门社区", "北门社区", "人民路社区", "新城社区",
    "滨河社区", "桂湖社区", "文化社区", "北城社区", "南城社区", "西郊社区",
)

LIANGPING = District(
    name="梁平区", code="500155", code_since=2016, earlier_code="500228",
    sichuan_codes=(("512224", 1991), ("511223", 1996)),
    township_specs=(
        ("回龙镇", "HL"), ("礼让镇", "LR"), ("云龙镇", "YL"), ("屏锦镇", "PJ"),
        ("袁驿镇", "YY"), ("新盛镇", "XS"), ("福禄镇", "FL"), ("金带街道", "JD"),
        ("双桂街道", "SG"), ("梁山街道", "LS"),
    ),
    other_towns=(
        "合兴镇", "虎城镇", "仁贤镇", "碧山镇", "聚奎镇", "明达镇", "星桥镇", "安胜镇",
        "竹山镇", "文化镇", "荫平镇", "和林镇", "曲水镇", "七星镇", "龙门镇", "蟠龙镇",
        "紫照镇", "复平镇", "大观镇", "柏家镇", "铁门乡", "城北乡", "石安镇", "龙胜乡",
    ),
)
DIANJIANG = District(
    name="垫江县", code="500231", code_since=1997, earlier_code="500231",
    sichuan_codes=(("512322", 1994), ("511421", 1996)),
    township_specs=(
        ("桂溪街道", "GX"), ("澄溪镇", "CX"), ("高安镇", "GA"), ("太平镇", "TP"),
        ("沙坪镇", "SP"), ("周嘉镇", "ZJ"), ("普顺镇", "PS"), ("永安镇", "YA"),
        ("杠家镇", "GJ"), ("新民镇", "XM"),
    ),
    other_towns=("白家镇", "永平镇", "砚台镇", "曹回镇", "坪山镇", "鹤游镇", "大石乡", "三溪镇"),
)
ZHONGXIAN = District(
    name="忠县", code="500233", code_since=1997, earlier_code="500233",
    sichuan_codes=(("512223", 1991), ("511222", 1996)),
    township_specs=(
        ("忠州街道", "ZZ"), ("白公街道", "BG"), ("新生街道", "XSJ"), ("拔山镇", "BS"),
        ("乌杨街道", "WY"), ("任家镇", "RJ"), ("洋渡镇", "YD"), ("东溪镇", "DX"),
        ("复兴镇", "FX"), ("黄金镇", "HJ"),
    ),
    other_towns=("石宝镇", "汝溪镇", "野鹤镇", "官坝镇", "石黄镇", "马灌镇", "金鸡镇", "新立镇"),
)


def _villages_for(name: str, geo_rng: np.random.Generator,
                  sizes: tuple[int, int] = (10, 13)) -> tuple[str, ...]:
    """回龙镇 keeps its fixed list; a 街道 is mostly communities, a 镇 mostly villages."""
    if name == "回龙镇":
        return HUILONG_VILLAGES
    stem = name.removesuffix("街道").removesuffix("镇")
    n = int(geo_rng.integers(*sizes))
    n_communities = 6 if name.endswith("街道") else 1
    communities = [f"{stem}社区"] + list(
        geo_rng.choice(_COMMUNITY_POOL, n_communities - 1, replace=False))
    villages = geo_rng.choice(VILLAGE_POOL, n - n_communities, replace=False)
    return tuple(communities) + tuple(villages)


# The city: all 38 districts and counties of 重庆 (code, year the code took effect, the
# code before it).  梁平, 垫江 and 忠县 keep their hand-written histories above; the
# others get ten synthetic townships each.  Every code is in GB/T 2260's history.
_CITY_DISTRICTS = (
    ("万州区", "500101", 1997, "500101"), ("涪陵区", "500102", 1997, "500102"),
    ("渝中区", "500103", 1997, "500103"), ("大渡口区", "500104", 1997, "500104"),
    ("江北区", "500105", 1997, "500105"), ("沙坪坝区", "500106", 1997, "500106"),
    ("九龙坡区", "500107", 1997, "500107"), ("南岸区", "500108", 1997, "500108"),
    ("北碚区", "500109", 1997, "500109"), ("綦江区", "500110", 2011, "500222"),
    ("大足区", "500111", 2011, "500225"), ("渝北区", "500112", 1997, "500112"),
    ("巴南区", "500113", 1997, "500113"), ("黔江区", "500114", 2000, "500239"),
    ("长寿区", "500115", 2001, "500221"), ("江津区", "500116", 2006, "500381"),
    ("合川区", "500117", 2006, "500382"), ("永川区", "500118", 2006, "500383"),
    ("南川区", "500119", 2006, "500384"), ("璧山区", "500120", 2014, "500227"),
    ("铜梁区", "500151", 2014, "500224"), ("潼南区", "500152", 2015, "500223"),
    ("荣昌区", "500153", 2015, "500226"), ("开州区", "500154", 2016, "500234"),
    ("梁平区", None, None, None), ("武隆区", "500156", 2016, "500232"),
    ("城口县", "500229", 1997, "500229"), ("丰都县", "500230", 1997, "500230"),
    ("垫江县", None, None, None), ("忠县", None, None, None),
    ("云阳县", "500235", 1997, "500235"), ("奉节县", "500236", 1997, "500236"),
    ("巫山县", "500237", 1997, "500237"), ("巫溪县", "500238", 1997, "500238"),
    ("石柱土家族自治县", "500240", 1997, "500240"), ("秀山土家族苗族自治县", "500241", 1997, "500241"),
    ("酉阳土家族苗族自治县", "500242", 1997, "500242"), ("彭水苗族土家族自治县", "500243", 1997, "500243"),
)
_TOWN_FIRST = "龙凤白石青金双新长永太安宝清高平东西南北红黄马鹤桃柳松竹梅兰云天明福"
_TOWN_SECOND = "溪河山坪桥湾坝口滩岭场塘林峰田沟寺庙垭关坡池湖江亭岩"
CITY_VILLAGES_PER_TOWNSHIP = (19, 24)  # ≈ 8,000 villages in 380 townships


def _city_districts() -> tuple[District, ...]:
    """The 38 districts; synthetic townships have unique names and codes (C0701 …)."""
    known = {d.name: d for d in (LIANGPING, DIANJIANG, ZHONGXIAN)}
    taken = {name for d in known.values() for name in (*(t for t, _ in d.township_specs), *d.other_towns)}
    taken = {name.removesuffix("街道").removesuffix("镇").removesuffix("乡") for name in taken}
    rng = np.random.default_rng(20261202)  # fixed: geography is not part of the seed
    stems = [a + b for a in _TOWN_FIRST for b in _TOWN_SECOND if a + b not in taken]
    stems = [stems[i] for i in rng.permutation(len(stems))]
    out, used = [], 0
    for d_i, (name, code, since, earlier) in enumerate(_CITY_DISTRICTS, start=1):
        if name in known:
            out.append(known[name])
            continue
        mine, used = stems[used:used + 18], used + 18
        specs = tuple((stem + ("街道" if t_i < 2 else "镇"), f"C{d_i:02d}{t_i + 1:02d}")
                      for t_i, stem in enumerate(mine[:10]))
        out.append(District(name=name, code=code, code_since=since, earlier_code=earlier,
                            sichuan_codes=(), township_specs=specs,
                            other_towns=tuple(stem + "镇" for stem in mine[10:])))
    return tuple(out)


CITY_DISTRICTS = _city_districts()


def build_world(scale: str) -> World:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    if scale == "city":
        return _city_world()
    districts = {"township": (LIANGPING,), "district": (LIANGPING,)}[scale]
    geo_rng = np.random.default_rng(20200528)  # fixed: geography is not part of the seed
    townships = []
    for district in districts:
        specs = district.township_specs[:1] if scale == "township" else district.township_specs
        for name, abbr in specs:
            townships.append(Township(name, abbr, district.name, _villages_for(name, geo_rng)))
    assert len({t.abbr for t in townships}) == len(townships), "abbreviations must be unique"
    return World(districts, tuple(townships))


def _city_world() -> World:
    geo_rng = np.random.default_rng(20261203)
    townships = tuple(Township(name, abbr, district.name,
                               _villages_for(name, geo_rng, CITY_VILLAGES_PER_TOWNSHIP))
                      for district in CITY_DISTRICTS for name, abbr in district.township_specs)
    assert len({t.abbr for t in townships}) == len(townships), "abbreviations must be unique"
    assert len({t.name for t in townships}) == len(townships), "township names must be unique"
    return World(CITY_DISTRICTS, townships)


def district_part(world: World, district: str) -> World:
    """The same city with only one district's townships generated (a city is made
    district by district; the other districts stay known, for records held elsewhere)."""
    return World(world.districts, tuple(t for t in world.townships if t.district == district))


def police_station(district: str, town: str) -> str:
    """回龙镇 -> 梁平区公安局回龙派出所 (a station per town, named without 镇/乡/街道)."""
    for suffix in ("街道", "镇", "乡"):
        town = town.removesuffix(suffix)
    return f"{district}公安局{town}派出所"


@dataclass(frozen=True)
class Month:
    """The run month M: benefits for M are being paid."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        year, month = (int(part) for part in text.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(f"month must be YYYY-MM, not {text!r}")
        return cls(year, month)

    @property
    def index(self) -> int:
        """Months since year 0, so that differences are month counts."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def report_day(self) -> dt.date:
        """填报时间: the roster is exported near the end of M (2020-05 -> 2020-05-28)."""
        return dt.date(self.year, self.month, 28)


def month_start(index: np.ndarray) -> np.ndarray:
    """First day (datetime64[D]) of each month index (year*12 + month-1)."""
    index = np.asarray(index, dtype=np.int64)
    return (index - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def month_index(dates: np.ndarray) -> np.ndarray:
    """Month index (year*12 + month-1) of datetime64 dates."""
    return np.asarray(dates, dtype="datetime64[M]").astype(np.int64) + 1970 * 12
