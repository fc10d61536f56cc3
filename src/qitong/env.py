"""Strict readers of the environment for the settings module.

Each reader names the variable it read when the value is wrong, so a mistyped
deployment stops at once with a message the operator can act on. These run
before Django's translation machinery exists, so their messages are plain
Chinese text.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
SECRET_KEY_FILE = "secret_key"


def _split_url(name, value):
    """``urlsplit`` that names the variable when the address cannot be parsed."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ImproperlyConfigured(f"环境变量 {name} 中的地址 {value!r} 无法解析：{exc}") from None
    return parts


def _raw(name):
    value = os.environ.get(name)
    return None if value is None else value.strip()


def string(name, *, default):
    value = _raw(name)
    return default if value is None or value == "" else value


def boolean(name, *, default):
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 的值 {value!r} 无效：应为 true 或 false。")


def integer(name, *, default, minimum=None, maximum=None, expected=None):
    """A whole number, within ``minimum`` … ``maximum`` when given.

    ``expected`` says what the value is, for the message, when "an integer of
    this range" would not tell the operator enough.
    """
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    too_small = number is not None and minimum is not None and number < minimum
    too_large = number is not None and maximum is not None and number > maximum
    if number is None or too_small or too_large:
        if expected is None:
            if minimum is not None and maximum is not None:
                expected = f"{minimum} 到 {maximum} 的整数"
            elif minimum is not None:
                expected = f"不小于 {minimum} 的整数"
            elif maximum is not None:
                expected = f"不大于 {maximum} 的整数"
            else:
                expected = "整数"
        raise ImproperlyConfigured(f"环境变量 {name} 的值 {value!r} 无效：应为{expected}。")
    return number


def seconds(name, *, default, minimum):
    """An interval in whole seconds, at least ``minimum`` (a job run too often would pile up)."""
    return integer(name, default=default, minimum=minimum, expected=f"不小于 {minimum} 的整数秒数")


def directory(name, *, default):
    """A folder for data; created if absent, refused if it is a file."""
    value = _raw(name)
    path = Path(value).expanduser() if value else Path(default)
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise ImproperlyConfigured(f"环境变量 {name} 指向的 {path} 不是目录。")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"环境变量 {name} 指向的目录 {path} 无法创建：{exc}") from None
    return path


def secret_key(name, *, debug):
    """The secret key; required outside debug, and at least 32 characters long."""
    value = _raw(name)
    if value:
        if len(value) < 32:
            raise ImproperlyConfigured(f"环境变量 {name} 太短：至少需要 32 个字符。")
        return value
    if debug:
        # Debug runs get a fresh key each start: sessions do not survive restarts.
        return secrets.token_urlsafe(50)
    raise ImproperlyConfigured(
        f"缺少环境变量 {name}：生产环境必须设置密钥（或设置 QITONG_DEBUG=true 用于开发）。"
    )


def host_list(name, *, default):
    value = _raw(name)
    if value is None or value == "":
        return default
    hosts = [part.strip() for part in value.split(",") if part.strip()]
    for host in hosts:
        if "/" in host or " " in host:
            raise ImproperlyConfigured(
                f"环境变量 {name} 中的 {host!r} 不是主机名（用逗号分隔多个主机名）。"
            )
    return hosts


def url_list(name, *, default):
    value = _raw(name)
    if value is None or value == "":
        return default
    urls = [part.strip() for part in value.split(",") if part.strip()]
    for url in urls:
        parts = _split_url(name, url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ImproperlyConfigured(f"环境变量 {name} 中的 {url!r} 不是 http(s) 地址。")
    return urls


def language_list(name, *, known, required):
    """Comma-separated language codes, each one of ``known``, always including ``required``.

    ``required`` is the language the source strings are written in and the
    default; without it in the list Django would fall back to another
    language's catalogue for every page.
    """
    value = _raw(name)
    if not value:
        return [required]
    codes = [part.strip().lower() for part in value.split(",") if part.strip()]
    for code in codes:
        if code not in known:
            raise ImproperlyConfigured(
                f"环境变量 {name} 中的 {code!r} 不是支持的语言：可选 {'、'.join(known)}（用逗号分隔）。"
            )
    if required not in codes:
        raise ImproperlyConfigured(f"环境变量 {name} 必须包含 {required}（默认语言）。")
    # The default language first, the others in the order given, each once.
    return [required] + [code for code in dict.fromkeys(codes) if code != required]


def proxy_count(name, *, maximum=5):
    """How many reverse proxies the operator runs in front of the app: 0 (none, the default) … ``maximum``.

    Only with a count does the app read the client's address from
    X-Forwarded-For; without one that header is the client's own claim.
    """
    return integer(
        name,
        default=0,
        minimum=0,
        maximum=maximum,
        expected=(
            f"应用前面的受信任反向代理层数，0 到 {maximum} 的整数（例如只有一层 nginx 时为 1）"
        ),
    )


def redis_url(name):
    value = _raw(name)
    if not value:
        return None
    parts = _split_url(name, value)
    database_number = parts.path.strip("/")
    if (
        parts.scheme not in ("redis", "rediss")
        or not parts.hostname
        or (database_number and not database_number.isdigit())
    ):
        raise ImproperlyConfigured(
            f"环境变量 {name} 的值无效：应为 redis://主机:端口/库号 形式的地址。"
        )
    return value


def proxy_ssl_header(name):
    value = _raw(name)
    if not value:
        return None
    header, sep, expected = value.partition("=")
    if not sep or not header or not expected:
        raise ImproperlyConfigured(
            f"环境变量 {name} 的值无效：应为 HTTP_X_FORWARDED_PROTO=https 形式。"
        )
    return (header.strip(), expected.strip())


def database(name, *, sqlite_path):
    """PostgreSQL from the URL in ``name``; otherwise the embedded SQLite file.

    SQLite runs in WAL mode with a busy timeout and immediate transactions, so
    several web workers and the scheduler can share the file without
    "database is locked" errors.
    """
    value = _raw(name)
    if not value:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    scheme = _split_url(name, value).scheme
    if scheme not in ("postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(
            f"环境变量 {name} 的值无效：只支持 postgres://用户:密码@主机:端口/库名 形式的地址。"
        )
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"环境变量 {name} 的值无效：{exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"环境变量 {name} 缺少数据库名。")
    return config


def ensure_secret_key_file(data_dir):
    """Return the key kept in the data folder, creating it on first use (for ``demo``)."""
    path = Path(data_dir) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()
