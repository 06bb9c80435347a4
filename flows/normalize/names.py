"""Personal names: the same person written the same way, whatever the keyboard did."""
from __future__ import annotations

import functools
import re
import unicodedata

import zhconv
from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

# Interpuncts used in transliterated minority names (阿依·古丽): all become U+00B7.
_MIDDLE_DOTS = re.compile(r"[\u00b7\u2022\u2027\u30fb\uff0e\u2219\u22c5\u00b8\u0387\u318d\u119e\u2e31\ua78f.•]")
_SPACES = re.compile(r"\s+")


def normalize_name(raw: object) -> str | None:
    """NFKC, inner spaces removed, every middle-dot variant as '·'; None when empty."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw))
    text = _SPACES.sub("", text)
    text = _MIDDLE_DOTS.sub("·", text).strip("·")
    return text or None


UNKNOWN_SYLLABLE = "?"
# What a GB2312 system writes for a character it cannot store (NFKC has already made
# ？ and ＊ ASCII); 〇 is a placeholder in a name, never a character of it.
_PLACEHOLDERS = frozenset("?*□■〇○")
_LATIN_RUN = re.compile(r"[A-Za-z]+")


def name_key(name: str | None) -> str | None:
    """The name with traditional and variant characters in one (simplified) form and
    every placeholder as '?', for comparing names: 劉 = 刘, 峯 = 峰, □ = ？ = ?.
    The conversion table is zhconv's (MediaWiki's), applied per character because a
    name is not a phrase."""
    if not name:
        return None
    return "".join(UNKNOWN_SYLLABLE if ch in _PLACEHOLDERS else _simplified(ch) for ch in name)


@functools.lru_cache(maxsize=None)
def _simplified(ch: str) -> str:
    return zhconv.convert(ch, "zh-cn") if ord(ch) > 0x2e80 else ch


def name_syllables(name: str | None) -> list[str]:
    """A name as the syllables it is read as: a character by its pinyin, Latin letters
    split into pinyin syllables (袁文zhe -> yuan wen zhe), a placeholder as '?'."""
    if not name:
        return []
    key = name_key(name)
    syllables: list[str] = []
    pos = 0
    for latin in _LATIN_RUN.finditer(key):
        syllables += _han_syllables(key[pos:latin.start()], first=not syllables and pos == 0)
        syllables += split_pinyin(latin.group().lower())
        pos = latin.end()
    syllables += _han_syllables(key[pos:], first=not syllables and pos == 0)
    return syllables


def _han_syllables(text: str, *, first: bool) -> list[str]:
    out = [UNKNOWN_SYLLABLE if ch == UNKNOWN_SYLLABLE else _char_pinyin(ch) for ch in text]
    if first and text and text[0] in _SURNAME_READINGS:
        out[0] = _SURNAME_READINGS[text[0]]
    return [s for s in out if s]


@functools.lru_cache(maxsize=4096)
def split_pinyin(letters: str) -> list[str]:
    """'wenzhe' -> ['wen', 'zhe']: the split into the fewest valid syllables; letters
    that are no pinyin stay one token (an English name is compared as it is)."""
    best: list[list[str] | None] = [None] * (len(letters) + 1)
    best[0] = []
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            if head is not None and letters[start:end] in _syllable_set():
                candidate = head + [letters[start:end]]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[-1] if best[-1] is not None else [letters]


@functools.lru_cache(maxsize=1)
def _syllable_set() -> frozenset[str]:
    """Every toneless syllable of pypinyin's dictionary (ü as v), without the bare
    consonant interjections (m, n, ng, hm …) that would split a name oddly."""
    syllables = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
            syllables.add(plain.replace("ü", "v"))
    return frozenset(s for s in syllables if re.search("[aeiouv]", s))


def name_pinyin(name: str) -> str:
    """Toneless pinyin of a name, syllables joined by spaces: homophones share it, and so
    does the same name with a character written in pinyin (袁文zhe = 袁文喆); a
    placeholder is '?'.

    Read character by character (a registry has hundreds of thousands of names but only
    a few thousand characters, so this is a dictionary lookup per character).  A 多音字
    takes its most common reading on both sides of a comparison, so the same character
    always agrees with itself; a surname with a special reading (单 shan, 曾 zeng, 解 xie)
    is read as a surname.
    """
    return " ".join(name_syllables(name))


def name_char_table(chars: list[str]) -> dict[str, list]:
    """Per character: its key form (as name_key writes it), the reading of that key form
    (as name_syllables reads it; '' for none) and, for a surname with a special reading,
    that reading (None otherwise): the table sql/normalize/names.sql builds every name's
    key and pinyin from."""
    keys = [UNKNOWN_SYLLABLE if ch in _PLACEHOLDERS else _simplified(ch) for ch in chars]
    readings = [UNKNOWN_SYLLABLE if key == UNKNOWN_SYLLABLE else (_char_pinyin(key) if len(key) == 1 else "")
                for key in keys]
    return {"ch": chars, "key_char": keys, "reading": readings,
            "surname_reading": [_SURNAME_READINGS.get(key) for key in keys]}


@functools.lru_cache(maxsize=None)
def _char_pinyin(ch: str) -> str:
    if ch == "·":
        return ""
    return lazy_pinyin(ch, style=Style.NORMAL, errors="default")[0]


_SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "查": "zha", "仇": "qiu", "朴": "piao",
    "区": "ou", "盖": "ge", "乐": "yue", "覃": "qin", "尉": "yu", "燕": "yan",
    "缪": "miao", "翟": "zhai", "召": "shao", "冼": "xian", "长": "chang", "重": "chong",
}
