"""Failed logins are limited per account and address, per address, and per account, at the real client address.

The three shapes of attack an outside probe found unchecked: one address
guessing one account, one address trying many accounts, many addresses
guessing one account. Behind a declared proxy the client's own address counts
(from X-Forwarded-For), and only then: otherwise the header is ignored. A
refused login gets a Chinese page (429) or, for a JSON client, a Chinese body.
"""

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from qitong import env
from qitong.orgs import lockout
from qitong.orgs.models import User
from tests.appeals.conftest import City, at
from tests.conftest import PASSWORD, _user

pytestmark = pytest.mark.django_db

NOW = at("2026-11-02 10:00")


@pytest.fixture
def city(db):
    return City()


@pytest.fixture
def accounts(city):
    """Eight more accounts, for spraying."""
    return [_user(f"clerk{number}", User.Role.UNIT, unit=city.fgw).username for number in range(8)]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def login(client, username, password="wrong-password", address="203.0.113.10", **headers):
    client.cookies.clear()
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in(response):
    return response.status_code == 302


def refused(response):
    return response.status_code == 429


# --- the three shapes ---------------------------------------------------------------------


def test_one_address_guessing_one_account_is_locked_there_only(client, city, clock):
    answers = [login(client, "office") for _attempt in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert refused(login(client, "office", PASSWORD))
    assert logged_in(login(client, "office", PASSWORD, address="198.51.100.7"))
    assert logged_in(login(client, "fgw", PASSWORD))  # the same address, another account


def test_the_pair_lock_lifts_after_its_window(client, city, clock):
    for _attempt in range(5):
        login(client, "office")
    clock.shift(lockout.RULES[0].window - lockout.dt.timedelta(seconds=1))
    assert refused(login(client, "office", PASSWORD))
    clock.shift(lockout.dt.timedelta(seconds=2))
    assert logged_in(login(client, "office", PASSWORD))


def test_refused_attempts_do_not_prolong_the_lock(client, city, clock):
    for _attempt in range(5):
        login(client, "office")
    for _minute in range(14):
        clock.shift(lockout.dt.timedelta(minutes=1))
        assert refused(login(client, "office"))
    clock.shift(lockout.dt.timedelta(minutes=1, seconds=1))
    assert logged_in(login(client, "office", PASSWORD))


def test_one_address_spraying_many_accounts_is_locked_for_every_account(
    client, city, accounts, clock
):
    statuses = [login(client, name).status_code for _round in range(4) for name in accounts]
    assert statuses[:29] == [200] * 29 and set(statuses[29:]) == {429}
    assert refused(login(client, "office", PASSWORD))  # an account it never tried
    assert logged_in(login(client, "office", PASSWORD, address="198.51.100.7"))


def test_success_on_an_own_account_does_not_clear_the_spraying_count(client, city, accounts, clock):
    for name in accounts[:7]:
        for _attempt in range(4):
            login(client, name)
    assert logged_in(login(client, "fgw", PASSWORD))  # the sprayer's own account
    assert not refused(login(client, accounts[7]))  # the 29th failure counted
    assert refused(login(client, accounts[7]))  # the 30th
    assert refused(login(client, "fgw", PASSWORD))


def test_many_addresses_guessing_one_account_are_slowed(client, city, clock):
    # The probe: 20 wrong passwords from 5 addresses, 4 each, never locked before.
    statuses = [
        login(client, "office", address=f"192.0.2.{host}").status_code
        for _round in range(4)
        for host in range(1, 6)
    ]
    assert statuses[:9] == [200] * 9 and set(statuses[9:]) == {429}
    assert refused(login(client, "office", PASSWORD, address="198.51.100.7"))
    assert logged_in(login(client, "fgw", PASSWORD, address="198.51.100.7"))


def test_the_account_throttle_is_short(client, city, clock):
    for host in range(1, 11):
        login(client, "office", address=f"192.0.2.{host}")
    assert refused(login(client, "office", PASSWORD, address="198.51.100.7"))
    clock.shift(lockout.RULES[2].window + lockout.dt.timedelta(seconds=1))
    assert logged_in(login(client, "office", PASSWORD, address="198.51.100.7"))


def test_the_account_throttle_spares_an_address_the_user_logged_in_from(client, city, clock):
    assert logged_in(login(client, "office", PASSWORD, address="198.51.100.7"))
    clock.shift(lockout.dt.timedelta(days=3))
    for host in range(1, 21):
        login(client, "office", address=f"192.0.2.{host}")
    assert refused(login(client, "office", PASSWORD, address="198.51.100.99"))
    assert logged_in(login(client, "office", PASSWORD, address="198.51.100.7"))


# --- the client's address behind a proxy --------------------------------------------------

PROXY = "127.0.0.1"


@pytest.fixture
def one_proxy(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)


def through_proxy(client, username, password="wrong-password", *, client_address, claimed=None):
    forwarded = f"{claimed}, {client_address}" if claimed else client_address
    return login(client, username, password, address=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_a_declared_proxy_each_client_has_its_own_address(client, city, one_proxy, clock):
    for _attempt in range(5):
        through_proxy(client, "office", client_address="203.0.113.10")
    assert refused(through_proxy(client, "office", PASSWORD, client_address="203.0.113.10"))
    assert logged_in(through_proxy(client, "office", PASSWORD, client_address="198.51.100.7"))


def test_behind_a_declared_proxy_a_forged_header_does_not_escape_the_count(
    client, city, one_proxy, clock
):
    for number in range(5):
        through_proxy(client, "office", client_address="203.0.113.10", claimed=f"10.0.0.{number}")
    answer = through_proxy(
        client, "office", PASSWORD, client_address="203.0.113.10", claimed="1.1.1.1"
    )
    assert refused(answer)
    assert list(lockout.AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "203.0.113.10"
    ]


def test_without_a_declared_proxy_the_header_is_ignored(client, city, clock):
    # Every client arrives from the proxy's address: five failures lock the pair for all of them,
    # which is why QITONG_TRUSTED_PROXIES must be set behind a proxy (docs/deployment.md).
    for number in range(5):
        through_proxy(client, "office", client_address=f"203.0.113.{number}")
    assert refused(through_proxy(client, "office", PASSWORD, client_address="198.51.100.7"))
    assert lockout.AccessAttempt.objects.get().ip_address == PROXY


def test_the_log_names_the_real_client_address(client, city, one_proxy, clock, caplog):
    with caplog.at_level(logging.WARNING):
        for _attempt in range(6):
            through_proxy(client, "office", client_address="203.0.113.10")
    failures = [r.getMessage() for r in caplog.records if r.name == "axes.handlers.database"]
    assert failures and all('ip_address: "203.0.113.10"' in line for line in failures)
    assert any('username: "office"' in line for line in failures)
    refusals = [r.getMessage() for r in caplog.records if r.name == "qitong.login"]
    assert refusals and all("address=203.0.113.10" in line for line in refusals)
    assert not any(PROXY in line for line in failures + refusals)


def _settings_with(proxies):
    """The client-address settings that settings.py derives from QITONG_TRUSTED_PROXIES."""
    names = ("AXES_IPWARE_PROXY_COUNT", "AXES_IPWARE_META_PRECEDENCE_ORDER", "IPWARE_STRICT")
    program = (
        "import json, qitong.settings as s; "
        f"print(json.dumps([getattr(s, name) for name in {names!r}]))"
    )
    environment = {**os.environ, "QITONG_TRUSTED_PROXIES": str(proxies)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return dict(zip(names, json.loads(done.stdout), strict=True))


@pytest.mark.parametrize("proxies", [0, 1, 2, 3])
def test_the_declared_number_of_proxies_finds_the_client(client, city, settings, clock, proxies):
    for name, value in _settings_with(proxies).items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)
    # The client forges two entries; each of the proxies appends the address it got the
    # request from: the client's, then the proxy before it. REMOTE_ADDR is the last proxy.
    hops = ["203.0.113.10"] + [f"10.0.0.{number}" for number in range(1, proxies)]
    # Without declared proxies the header is the client's claim alone, and ignored.
    forwarded = ", ".join(["1.1.1.1", "2.2.2.2", *hops[:proxies]])
    login(client, "office", address="10.0.0.99", HTTP_X_FORWARDED_FOR=forwarded)
    expected = "203.0.113.10" if proxies else "10.0.0.99"
    assert lockout.AccessAttempt.objects.get().ip_address == expected


@pytest.mark.parametrize(("value", "count"), [(None, 0), ("", 0), ("0", 0), ("1", 1), ("2", 2)])
def test_the_proxy_count_is_read_strictly(monkeypatch, value, count):
    if value is None:
        monkeypatch.delenv("QITONG_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("QITONG_TRUSTED_PROXIES", value)
    assert env.proxy_count("QITONG_TRUSTED_PROXIES") == count


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "6", "yes"])
def test_a_wrong_proxy_count_stops_the_start_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("QITONG_TRUSTED_PROXIES", value)
    with pytest.raises(ImproperlyConfigured, match="QITONG_TRUSTED_PROXIES"):
        env.proxy_count("QITONG_TRUSTED_PROXIES")


# --- what a refused login sees ------------------------------------------------------------


def test_the_lockout_page_is_chinese_html_with_status_429(client, city, clock):
    for _attempt in range(5):
        page = login(client, "office")
    assert page.status_code == 429
    assert page["Content-Type"].startswith("text/html")
    assert int(page["Retry-After"]) == 15 * 60
    text = page.content.decode()
    assert "登录已暂停" in text and "该账号在您当前的网络地址上登录失败次数过多" in text
    assert "请在 15 分钟后再试" in text
    assert "企通 · 企业服务平台" in text  # the site's own frame (base.html)
    assert "Account locked" not in text


def test_the_admin_login_is_the_platform_login_with_its_lock(client, city, admin_user, clock):
    # The admin site has no password form of its own (qitong.urls): it sends to /login/.
    page = client.post(
        "/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="203.0.113.10"
    )
    assert page.status_code == 302 and page.url.startswith("/login/?next=")
    assert "_auth_user_id" not in client.session
    for _attempt in range(5):
        login(client, "root")
    assert refused(login(client, "root", PASSWORD))


def test_a_json_client_gets_a_chinese_json_body(client, city, clock):
    for _attempt in range(4):
        login(client, "office")
    answer = login(client, "office", HTTP_ACCEPT="application/json")
    assert answer.status_code == 429
    body = answer.json()
    assert body["error"] == "locked"
    assert "登录失败次数过多" in body["message"] and "15 分钟" in body["message"]
    assert body["retry_after"] == 15 * 60


def test_an_administrator_lifts_a_lock_at_once(client, city, clock):
    from django.core.management import call_command

    for host in range(1, 11):
        login(client, "office", address=f"192.0.2.{host}")
    assert refused(login(client, "office", PASSWORD, address="198.51.100.7"))
    call_command("axes_reset_username", "office", stdout=io.StringIO())
    assert logged_in(login(client, "office", PASSWORD, address="198.51.100.7"))


def test_axes_keeps_failures_exactly_as_long_as_the_longest_window(settings):
    """axes deletes attempts older than its cool-off; shorter than a rule's window, that
    rule would count too few, and longer keeps rows that count for nothing."""
    assert dt.timedelta(hours=settings.AXES_COOLOFF_TIME) == lockout.LONGEST
