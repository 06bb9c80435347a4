"""The warehouse key: where it comes from, and how a key file is made.

The warehouse is encrypted with DuckDB's own database encryption (see flows/engine.py for
why DuckDB 1.4.4).  The key is looked up, in this order:
  1. the environment variable DIBAO_WAREHOUSE_KEY;
  2. the key file named by DIBAO_KEY_FILE, else ~/.config/dibao/warehouse.key,
     which must belong to the user and be readable by nobody else (mode 600).
`dibao key init` creates the key file.  The key is never in the config, the repository,
a log line, a Prefect parameter or an error message: messages name the key file only.
A config may name a key file of its own (`[warehouse] key_file`): every command run with
that config uses it, before the environment (`use_key_of`).  The demo's config names the
demo key, data/demo/warehouse.key, created by `dibao demo`, so a machine's key for real
months never shadows it.
"""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from flows.config import PROJECT_ROOT, ConfigError

KEY_ENV = "DIBAO_WAREHOUSE_KEY"
KEY_FILE_ENV = "DIBAO_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/dibao/warehouse.key")
DEMO_KEY_FILE = PROJECT_ROOT / "data" / "demo" / "warehouse.key"


class WarehouseKeyError(ConfigError):
    """The key is missing, wrong or kept unsafely; the message says what to do, in Chinese.

    A ConfigError, so every place that stops a run cleanly on a bad setting stops on it too."""


class PlaintextWarehouseError(WarehouseKeyError):
    """The warehouse file is not encrypted (written by an earlier version): migrate it."""


def key_file() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def warehouse_key() -> str:
    """The key, from the environment or the owner-only key file."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env
    path = key_file()
    try:
        info = path.stat()
    except FileNotFoundError:
        if is_demo_key(path):
            raise WarehouseKeyError(
                f"示例数据库的密钥 {path} 不存在：请先运行 make demo（或 dibao demo），它会创建示例密钥。"
                "示例密钥只能打开示例数据库。") from None
        raise WarehouseKeyError(
            f"没有找到数据库密钥：请运行 dibao key init 创建密钥文件 {path}，"
            f"或设置环境变量 {KEY_ENV}。已有加密数据库时，请使用创建它时的密钥。") from None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise WarehouseKeyError(
            f"密钥文件 {path} 的权限过宽（{stat.filemode(info.st_mode)}）或不属于当前用户："
            f"请运行 chmod 600 {path}，确保只有本人可以读取。")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise WarehouseKeyError(f"密钥文件 {path} 是空的：请恢复原密钥文件，或对新数据库运行 dibao key init。")
    return key


def create_key_file(path: Path | None = None) -> Path:
    """A new random key in a file only its owner can read; refuses to overwrite one."""
    path = (path or key_file()).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WarehouseKeyError(
            f"密钥文件 {path} 已存在，未覆盖：覆盖后用它加密的数据库将无法打开。") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path


def use_demo_key() -> Path:
    """The demo's own key (created on first use); the demo never uses a township's key."""
    if not DEMO_KEY_FILE.exists():
        create_key_file(DEMO_KEY_FILE)
    os.environ.pop(KEY_ENV, None)
    os.environ[KEY_FILE_ENV] = str(DEMO_KEY_FILE)
    return DEMO_KEY_FILE


def is_demo_key(path: Path) -> bool:
    return Path(path).expanduser().resolve() == DEMO_KEY_FILE.resolve()


def use_key_of(settings) -> None:
    """The key file a config names ([warehouse] key_file) wins over the environment, so the
    demo's config always opens the demo warehouse with the demo key."""
    if settings.key_file is not None:
        os.environ.pop(KEY_ENV, None)
        os.environ[KEY_FILE_ENV] = str(settings.key_file)
