"""Personal names: the same person written the same way, whatever the keyboard did."""
from __future__ import annotations

import functools
import re
import unicodedata

from pypinyin import Style, lazy_pinyin

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


def name_pinyin(name: str) -> str:
    """Toneless pinyin of a name, syllables joined by spaces: homophones share it.

    Read character by character (a registry has hundreds of thousands of names but only
    a few thousand characters, so this is a dictionary lookup per character).  A 多音字
    takes its most common reading on both sides of a comparison, so the same character
    always agrees with itself; a surname with a special reading (单 shan, 曾 zeng, 解 xie)
    is read as a surname.
    """
    if not name:
        return ""
    syllables = [_char_pinyin(ch) for ch in name]
    surname = _SURNAME_READINGS.get(name[0])
    if surname:
        syllables[0] = surname
    return " ".join(s for s in syllables if s)


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
