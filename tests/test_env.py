"""Strict readers of the environment, and what ``qitong check`` makes of wrong values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from qitong import env

VAR = "QITONG_TEST_VARIABLE"
QITONG = Path(sys.executable).with_name("qitong")
GOOD_KEY = "k" * 40


@pytest.fixture
def setenv(monkeypatch):
    """Set (or, with None, remove) the test variable."""

    def set_value(value):
        if value is None:
            monkeypatch.delenv(VAR, raising=False)
        else:
            monkeypatch.setenv(VAR, value)

    set_value(None)
    return set_value


def refused(reader, *args, **kwargs):
    with pytest.raises(ImproperlyConfigured) as caught:
        reader(VAR, *args, **kwargs)
    message = str(caught.value)
    assert VAR in message
    return message


# --- string, boolean, integer ---------------------------------------------------------


def test_string_falls_back_to_its_default_when_unset_or_blank(setenv):
    assert env.string(VAR, default="INFO") == "INFO"
    setenv("   ")
    assert env.string(VAR, default="INFO") == "INFO"
    setenv(" DEBUG ")
    assert env.string(VAR, default="INFO") == "DEBUG"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("Yes", True), (" ON ", True)]
    + [("0", False), ("false", False), ("NO", False), ("off", False), ("", False)],
)
def test_boolean_reads_the_usual_words(setenv, value, expected):
    setenv(value)

    assert env.boolean(VAR, default=not expected) is expected


def test_boolean_falls_back_to_its_default_when_unset(setenv):
    assert env.boolean(VAR, default=True) is True
    assert env.boolean(VAR, default=False) is False


@pytest.mark.parametrize("value", ["2", "y", "enabled", "truee"])
def test_boolean_refuses_anything_else_naming_the_variable(setenv, value):
    setenv(value)

    assert "应为 true 或 false" in refused(env.boolean, default=False)


def test_integer_reads_a_number_or_falls_back(setenv):
    assert env.integer(VAR, default=25) == 25
    setenv(" 587 ")
    assert env.integer(VAR, default=25) == 587


@pytest.mark.parametrize("value", ["twenty-five", "25.0", "0x19"])
def test_integer_refuses_a_non_integer_naming_the_variable(setenv, value):
    setenv(value)

    assert "应为整数" in refused(env.integer, default=25)


@pytest.mark.parametrize(
    ("value", "bounds", "words"),
    [
        ("-1", {"minimum": 0}, "应为不小于 0 的整数"),
        ("6", {"minimum": 0, "maximum": 5}, "应为0 到 5 的整数"),
        ("²", {"minimum": 0}, "应为不小于 0 的整数"),
    ],
)
def test_integer_refuses_a_number_out_of_its_bounds_naming_them(setenv, value, bounds, words):
    setenv(value)

    assert words in refused(env.integer, default=1, **bounds)


def test_integer_takes_its_bounds_themselves(setenv):
    setenv("0")
    assert env.integer(VAR, default=1, minimum=0, maximum=5) == 0
    setenv("5")
    assert env.integer(VAR, default=1, minimum=0, maximum=5) == 5


@pytest.mark.parametrize("value", ["²", "5", "-60"])
def test_an_interval_or_proxy_count_of_odd_digits_is_refused_not_a_crash(setenv, value):
    # str.isdigit() holds for "²", which int() refuses: the readers must still say which variable.
    setenv(value)

    assert "整数秒数" in refused(env.seconds, default=180, minimum=30)
    if value != "5":
        assert "反向代理层数" in refused(env.proxy_count)


# --- directory ------------------------------------------------------------------------


def test_directory_creates_a_missing_folder(setenv, tmp_path):
    target = tmp_path / "a" / "b"
    setenv(str(target))

    assert env.directory(VAR, default=tmp_path / "unused") == target.resolve()
    assert target.is_dir()


def test_directory_uses_its_default_when_unset(setenv, tmp_path):
    assert env.directory(VAR, default=tmp_path / "var") == (tmp_path / "var").resolve()
    assert (tmp_path / "var").is_dir()


def test_directory_refuses_a_path_that_is_a_file(setenv, tmp_path):
    existing = tmp_path / "file"
    existing.write_text("")
    setenv(str(existing))

    assert "不是目录" in refused(env.directory, default=tmp_path)


def test_directory_refuses_a_folder_it_cannot_create(setenv, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    setenv(str(blocker / "inside"))

    assert "无法创建" in refused(env.directory, default=tmp_path)


# --- secret key -----------------------------------------------------------------------


def test_secret_key_returns_a_long_enough_key(setenv):
    setenv("s" * 32)

    assert env.secret_key(VAR, debug=False) == "s" * 32


def test_secret_key_refuses_a_short_key_even_in_debug(setenv):
    setenv("s" * 31)

    assert "至少需要 32 个字符" in refused(env.secret_key, debug=True)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_secret_key_is_required_outside_debug(setenv, value):
    setenv(value)

    assert "缺少环境变量" in refused(env.secret_key, debug=False)


def test_secret_key_is_made_up_afresh_in_debug(setenv):
    first = env.secret_key(VAR, debug=True)
    second = env.secret_key(VAR, debug=True)

    assert len(first) >= 32
    assert first != second


def test_the_secret_key_file_is_made_once_and_private(tmp_path):
    first = env.ensure_secret_key_file(tmp_path / "data")
    second = env.ensure_secret_key_file(tmp_path / "data")

    path = tmp_path / "data" / env.SECRET_KEY_FILE
    assert first == second == path.read_text().strip()
    assert len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600


# --- hosts and URLs -------------------------------------------------------------------


def test_host_list_splits_on_commas(setenv):
    setenv(" qitong.example.cn , 10.0.0.5,, ")

    assert env.host_list(VAR, default=[]) == ["qitong.example.cn", "10.0.0.5"]


def test_host_list_falls_back_to_its_default(setenv):
    assert env.host_list(VAR, default=["localhost"]) == ["localhost"]


@pytest.mark.parametrize("value", ["https://qitong.example.cn", "qitong.example.cn/admin", "a b"])
def test_host_list_refuses_what_is_not_a_host_name(setenv, value):
    setenv(value)

    assert "不是主机名" in refused(env.host_list, default=[])


def test_url_list_reads_http_and_https_addresses(setenv):
    setenv("https://qitong.example.cn, http://10.0.0.5:8000")

    assert env.url_list(VAR, default=[]) == ["https://qitong.example.cn", "http://10.0.0.5:8000"]


@pytest.mark.parametrize("value", ["qitong.example.cn", "ftp://example.cn", "https://"])
def test_url_list_refuses_what_is_not_an_http_address(setenv, value):
    setenv(value)

    assert "不是 http(s) 地址" in refused(env.url_list, default=[])


@pytest.mark.parametrize("value", ["https://[::1", "https://example.cn:port"])
def test_url_list_refuses_an_unparsable_address_naming_the_variable(setenv, value):
    setenv(value)

    refused(env.url_list, default=[])


@pytest.mark.parametrize(
    "value", ["redis://127.0.0.1:6379/0", "rediss://:secret@cache.example.cn:6380/2", "redis://h"]
)
def test_redis_url_reads_a_redis_address(setenv, value):
    setenv(value)

    assert env.redis_url(VAR) == value


def test_redis_url_is_none_when_unset_or_blank(setenv):
    assert env.redis_url(VAR) is None
    setenv("")
    assert env.redis_url(VAR) is None


@pytest.mark.parametrize(
    "value",
    [
        "nonsense",
        "http://127.0.0.1:6379/0",
        "redis:///0",
        "redis://127.0.0.1:6379/zero",
        "redis://127.0.0.1:port/0",
        "redis://[::1",
    ],
)
def test_redis_url_refuses_anything_else_naming_the_variable(setenv, value):
    setenv(value)

    refused(env.redis_url)


def test_proxy_ssl_header_reads_header_and_value(setenv):
    assert env.proxy_ssl_header(VAR) is None
    setenv("HTTP_X_FORWARDED_PROTO = https")

    assert env.proxy_ssl_header(VAR) == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize("value", ["HTTP_X_FORWARDED_PROTO", "=https", "HTTP_X_FORWARDED_PROTO="])
def test_proxy_ssl_header_refuses_a_value_without_both_sides(setenv, value):
    setenv(value)

    assert "HTTP_X_FORWARDED_PROTO=https" in refused(env.proxy_ssl_header)


# --- database -------------------------------------------------------------------------


def test_database_is_embedded_sqlite_in_wal_mode_without_a_url(setenv, tmp_path):
    config = env.database(VAR, sqlite_path=tmp_path / "qitong.db")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == tmp_path / "qitong.db"
    assert "PRAGMA journal_mode=WAL;" in config["OPTIONS"]["init_command"]


def test_database_reads_a_postgres_url(setenv, tmp_path):
    setenv("postgres://qitong:secret@db.example.cn:5432/qitong")

    config = env.database(VAR, sqlite_path=tmp_path / "unused.db")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
        "qitong",
        "qitong",
        "db.example.cn",
        5432,
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("mysql://x", "只支持 postgres://"),
        ("sqlite:///tmp/x.db", "只支持 postgres://"),
        ("postgres://qitong:secret@db.example.cn:5432", "缺少数据库名"),
        ("postgres://[::1/qitong", "无法解析"),
    ],
)
def test_database_refuses_what_is_not_a_usable_postgres_url(setenv, tmp_path, value, words):
    setenv(value)

    assert words in refused(env.database, sqlite_path=tmp_path / "unused.db")


# --- through ``qitong check`` ---------------------------------------------------------


def qitong_check(tmp_path, **variables):
    """Run ``qitong check`` in an empty folder with only these QITONG_* variables."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("QITONG_")}
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    environ["QITONG_DATA_DIR"] = str(tmp_path / "data")
    environ.update(variables)
    workdir = tmp_path / "cwd"
    workdir.mkdir(exist_ok=True)
    return subprocess.run(
        [str(QITONG), "check"],
        cwd=workdir,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_stops_on_a_mysql_database_url_naming_the_variable(tmp_path):
    result = qitong_check(tmp_path, QITONG_SECRET_KEY=GOOD_KEY, QITONG_DATABASE_URL="mysql://x")

    assert result.returncode != 0
    assert "QITONG_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_stops_on_a_nonsense_redis_url_naming_the_variable(tmp_path):
    result = qitong_check(tmp_path, QITONG_SECRET_KEY=GOOD_KEY, QITONG_REDIS_URL="nonsense")

    assert result.returncode != 0
    assert "QITONG_REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_to_run_without_a_secret_key_outside_debug(tmp_path):
    result = qitong_check(tmp_path)

    assert result.returncode != 0
    assert "QITONG_SECRET_KEY" in result.stderr
    assert not (tmp_path / "data" / env.SECRET_KEY_FILE).exists()


def test_check_runs_without_a_secret_key_in_debug(tmp_path):
    result = qitong_check(tmp_path, QITONG_DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_passes_with_a_good_configuration(tmp_path):
    result = qitong_check(tmp_path, QITONG_SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stderr
