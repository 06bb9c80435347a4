"""Chinese personal names for the synthetic population, and the ways they go wrong.

A name is a weighted surname (about 110 common ones, 王/李/张/刘/陈 first) plus one or
two given-name characters drawn from sex-leaning pools of about 330 characters, so
(name, birth date) pairs almost never repeat among a million people.  A few people
carry minority names written with a middle dot (阿依·古丽).

`HOMOPHONE_GROUPS` lists given-name characters that sound alike (same pinyin, tone
ignored): clerks and police typing a name by ear swap them, which is what the
DECEASED_SUSPECT rule has to see through.  People are generated as index arrays
(surname, first and second given character), so names and their pinyin keys are
built with array lookups, not per-person string work.
"""
from __future__ import annotations

import functools

import numpy as np

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章冉"
)
# Zipf-like: the commonest surname is about 7 % of people, as in national statistics.
_ZIPF = 1.0 / (np.arange(len(SURNAMES)) + 3.0)
SURNAME_WEIGHTS = _ZIPF / _ZIPF.sum()

# Groups of given-name characters with the same toneless pinyin.  Every character here
# is also in a pool below.  Heteronyms (长, 朝, 重 …) are left out on purpose.
HOMOPHONE_GROUPS = (
    "伟玮炜维薇", "丽莉俐利立", "明铭鸣", "华桦骅", "静婧晶菁", "军君钧", "芳方舫",
    "红虹宏洪鸿", "敏闽民", "杰洁婕捷", "强蔷", "涛韬滔", "勇咏永泳", "艳燕雁彦",
    "斌彬宾", "峰锋丰枫", "婷亭庭廷", "鹏朋", "辉晖慧惠", "刚钢", "玲铃凌灵龄",
    "霞侠", "娟鹃", "英莹瑛颖", "梅玫", "兰岚澜", "琴芹勤", "秀绣", "珍贞真", "萍平苹",
    "倩茜", "琳林霖麟", "蓉荣容融", "玉钰宇雨", "凤奉", "桂贵", "月悦越跃", "春纯淳",
    "翠萃", "娇姣", "媛元园源", "姗珊山杉", "瑶遥尧", "蕾磊雷", "坤昆", "洋扬阳",
    "建健剑", "国帼", "志智", "成诚城承", "飞菲", "俊骏", "浩昊皓", "兵冰",
    "新欣馨鑫", "福富", "兴星", "祥翔", "松嵩", "庆青清卿",
    "宁凝", "晨辰", "旭序", "博波", "航杭", "轩萱宣", "思丝", "佳嘉家",
    "怡宜仪", "琪琦棋祺", "露璐", "雯文", "佩沛", "莲廉", "娜纳",
)

_MALE_CHARS = (
    "伟玮炜维明铭鸣华骅军君钧红宏洪鸿杰捷强涛韬滔勇咏永泳彦斌彬宾峰锋丰枫庭廷鹏朋辉晖"
    "刚钢凌侠英坤昆洋扬阳建健剑国志智海凯成诚城承飞俊骏浩昊皓兵冰新鑫德福富兴祥翔松嵩"
    "立安庆卿泽宁晨辰旭序博柏航杭轩宣林霖麟荣宇贵平越跃纯淳元源山磊雷文佩沛东波超亮龙"
    "生昌发中金权全武雄伦毅江川树勤忠信义贤良仁世和敬胜利进先正耀炳焕章远达森然光喜云"
    "才顺友万学睿哲瑞长桦尧"
)
_FEMALE_CHARS = (
    "丽莉俐利静婧晶菁芳方舫虹敏闽洁婕蔷艳燕雁婷亭慧惠玲铃灵龄霞娟鹃莹瑛颖梅玫兰岚澜琴"
    "芹秀绣珍贞真萍苹倩茜琳蓉容融玉钰雨凤奉桂月悦春翠萃娇姣媛园姗珊杉瑶遥蕾萱梦思丝佳"
    "嘉怡宜仪琪琦棋祺露璐雯菲欣馨凝青清娜纳芬帼薇民莲廉红英平华霖妍娅婉琼彩美菊兰爽晓"
    "笑蓓素淑巧荷碧芸滢冬雪"
)
_SHARED_CHARS = "子小天一家心诗若安星秋益世永春"


def _pool(chars: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))  # de-duplicated, order kept


MALE_GIVEN = _pool(_MALE_CHARS + _SHARED_CHARS)
FEMALE_GIVEN = _pool(_FEMALE_CHARS + _SHARED_CHARS)
GIVEN_CHARS = _pool(_MALE_CHARS + _FEMALE_CHARS + _SHARED_CHARS)
_GIVEN_INDEX = {c: i for i, c in enumerate(GIVEN_CHARS)}
# Pool-position -> GIVEN_CHARS index, so drawing by sex still yields one index space.
_MALE_TO_GIVEN = np.array([_GIVEN_INDEX[c] for c in MALE_GIVEN])
_FEMALE_TO_GIVEN = np.array([_GIVEN_INDEX[c] for c in FEMALE_GIVEN])

HOMOPHONES: dict[str, tuple[str, ...]] = {
    char: tuple(other for other in group if other != char)
    for group in HOMOPHONE_GROUPS for char in group if len(set(group)) > 1
}

_MINORITY_FIRST = ("阿依", "买买提", "热依拉", "古丽娜", "艾力", "努尔", "迪丽", "阿不都",
                   "帕丽达", "吐尔逊", "阿米娜", "依明", "麦合木提", "布阿杰尔")
_MINORITY_LAST = ("古丽", "艾力", "买买提", "阿不都", "热合曼", "木拉提", "吐尔逊",
                  "沙吾提", "玉素甫", "阿迪力", "卡德尔", "依明", "托合提", "克里木")
MINORITY_NAMES = tuple(f"{a}·{b}" for a in _MINORITY_FIRST for b in _MINORITY_LAST if a != b)
MIDDLE_DOT = "·"
MIDDLE_DOT_VARIANTS = ("•", "・", "．", "·")  # as other systems type the middle dot

MINORITY_SHARE = 0.003
ONE_CHAR_GIVEN_SHARE = 0.2


def draw_names(rng: np.random.Generator, male: np.ndarray,
               surname: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Name parts for len(male) people as index arrays: surname index (or -1 for a
    minority name), given characters g1, g2 (-1 = none), minority index (-1 = none).
    `surname` (-1 = draw) lets children share the household head's surname."""
    n = len(male)
    sur = rng.choice(len(SURNAMES), size=n, p=SURNAME_WEIGHTS)
    if surname is not None:
        sur = np.where(surname >= 0, surname, sur)
    g1 = _draw_given(rng, male)
    g2 = np.where(rng.random(n) < ONE_CHAR_GIVEN_SHARE, -1, _draw_given(rng, male))
    minority = np.where(rng.random(n) < MINORITY_SHARE,
                        rng.integers(0, len(MINORITY_NAMES), n), -1)
    return {"sur_i": np.where(minority >= 0, -1, sur), "g1": g1, "g2": g2, "minority_i": minority}


def _draw_given(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    from_male = _MALE_TO_GIVEN[rng.integers(0, len(MALE_GIVEN), len(male))]
    from_female = _FEMALE_TO_GIVEN[rng.integers(0, len(FEMALE_GIVEN), len(male))]
    return np.where(male, from_male, from_female)


def _lookup(table: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    """table[index] with index -1 giving ''."""
    padded = np.array(table + ("",), dtype=object)
    return padded[np.where(index >= 0, index, len(table))]


def name_strings(parts: dict[str, np.ndarray]) -> np.ndarray:
    han = _lookup(SURNAMES, parts["sur_i"]) + _lookup(GIVEN_CHARS, parts["g1"]) \
        + _lookup(GIVEN_CHARS, parts["g2"])
    return np.where(parts["minority_i"] >= 0, _lookup(MINORITY_NAMES, parts["minority_i"]), han)


@functools.cache
def _pinyin_of() -> dict[str, str]:
    """Toneless pinyin of every character the generator can write."""
    from pypinyin import Style, lazy_pinyin

    chars = sorted(set("".join(SURNAMES + GIVEN_CHARS + MINORITY_NAMES)) - {MIDDLE_DOT})
    return dict(zip(chars, lazy_pinyin(chars, style=Style.NORMAL)))


def pinyin(text: str) -> str:
    table = _pinyin_of()
    return " ".join(table.get(c, c) for c in text)


def sound_keys(parts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(surname, given name) as toneless pinyin, for spotting accidental near-namesakes."""
    table = _pinyin_of()
    sur_py = np.array([table[c] for c in SURNAMES] + [""], dtype=object)
    giv_py = np.array([table[c] for c in GIVEN_CHARS] + [""], dtype=object)
    min_sur = np.array([pinyin(n.split(MIDDLE_DOT)[0]) for n in MINORITY_NAMES] + [""], dtype=object)
    min_giv = np.array([pinyin(n.split(MIDDLE_DOT)[1]) for n in MINORITY_NAMES] + [""], dtype=object)

    def at(table_: np.ndarray, index: np.ndarray) -> np.ndarray:
        return table_[np.where(index >= 0, index, len(table_) - 1)]

    minority = parts["minority_i"] >= 0
    sur_key = np.where(minority, at(min_sur, parts["minority_i"]), at(sur_py, parts["sur_i"]))
    giv_key = np.where(minority, at(min_giv, parts["minority_i"]),
                       at(giv_py, parts["g1"]) + " " + at(giv_py, parts["g2"]))
    return sur_key, giv_key


def sound_keys_of(name: str) -> tuple[str, str]:
    """sound_keys for one name string (fault records, a few hundred)."""
    if MIDDLE_DOT in name:
        first, last = name.split(MIDDLE_DOT, 1)
        return pinyin(first), pinyin(last)
    given = [pinyin(c) for c in name[1:]] + [""] * (2 - len(name[1:]))
    return pinyin(name[:1]), " ".join(given)


# --- name faults: single names, used a few hundred times per township ------------

def given_positions(name: str) -> list[int]:
    """Positions of given-name characters (all but the surname; none for minority names)."""
    return [] if MIDDLE_DOT in name else list(range(1, len(name)))


def has_homophone(name: str) -> bool:
    return any(name[i] in HOMOPHONES for i in given_positions(name))


_HAS_HOMOPHONE = np.array([c in HOMOPHONES for c in GIVEN_CHARS] + [False])


def has_homophone_parts(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Vectorised has_homophone over name-part index arrays."""
    def at(index: np.ndarray) -> np.ndarray:
        return _HAS_HOMOPHONE[np.where(index >= 0, index, len(GIVEN_CHARS))]
    return (at(parts["g1"]) | at(parts["g2"])) & (parts["minority_i"] < 0)


def homophone_variant(name: str, rng: np.random.Generator) -> str:
    """The name with one given character swapped for a same-sounding one (明 -> 铭)."""
    positions = [i for i in given_positions(name) if name[i] in HOMOPHONES]
    i = positions[int(rng.integers(len(positions)))]
    options = HOMOPHONES[name[i]]
    return name[:i] + options[int(rng.integers(len(options)))] + name[i + 1:]


def typo_variant(name: str, rng: np.random.Generator) -> str:
    """The name with one given character replaced by an unrelated one (a typing slip)."""
    positions = given_positions(name)
    i = positions[int(rng.integers(len(positions)))]
    sounds_alike = set(HOMOPHONES.get(name[i], ())) | {name[i]}
    while (char := GIVEN_CHARS[int(rng.integers(len(GIVEN_CHARS)))]) in sounds_alike:
        pass
    return name[:i] + char + name[i + 1:]


def unrelated_name(name: str, male: bool, rng: np.random.Generator) -> str:
    """Somebody else's name: another surname and another given name."""
    while True:
        parts = draw_names(rng, np.array([male]))
        other = str(name_strings(parts)[0])
        if other[0] != name[0] and other[1:] != name[1:]:
            return other
