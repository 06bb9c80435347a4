"""The city's key for hashing ID numbers, so that only keyed hashes cross county lines.

The key comes from $DIBAO_CITY_KEY, or from a key file ($DIBAO_CITY_KEY_FILE, else the
city config's `key_file`) that only its owner may read.  It is never a parameter, a log
line or a config value; the city gives it to each county's worker out of band.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

KEY_ENV = "DIBAO_CITY_KEY"
KEY_FILE_ENV = "DIBAO_CITY_KEY_FILE"
MIN_KEY_LENGTH = 16


class CityKeyError(RuntimeError):
    """No usable key; the message says where to put one, in Chinese."""


def city_key(key_file: Path | None = None) -> bytes:
    text = os.environ.get(KEY_ENV)
    if not text:
        path = Path(os.environ.get(KEY_FILE_ENV) or key_file or "")
        if not str(path) or str(path) == ".":
            raise CityKeyError(f"没有市级密钥：请设置环境变量 {KEY_ENV}，或在 {KEY_FILE_ENV} / 市级配置 key_file "
                               "指定仅本人可读（chmod 600）的密钥文件。")
        if not path.is_file():
            raise CityKeyError(f"找不到市级密钥文件：{path}")
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CityKeyError(f"市级密钥文件 {path} 其他用户可读，请先执行 chmod 600 {path}")
        text = path.read_text(encoding="utf-8").strip()
    if len(text) < MIN_KEY_LENGTH:
        raise CityKeyError(f"市级密钥太短（至少 {MIN_KEY_LENGTH} 个字符）")
    return text.encode("utf-8")


def id_hash(key: bytes, id_number: str) -> str:
    """HMAC-SHA256 of a normalised 18-digit ID number, hex."""
    return hmac.new(key, id_number.encode("ascii"), hashlib.sha256).hexdigest()
