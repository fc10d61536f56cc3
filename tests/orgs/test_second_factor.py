"""Staff's second factor: a TOTP (or a recovery code, once) after the password, per QITONG_STAFF_2FA.

Codes are computed here as an authenticator app would (pyotp over the device's secret).
"""

import base64
import datetime as dt
import re

import pyotp
import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django_otp.plugins.otp_totp.models import TOTPDevice

from qitong.audit import chain
from qitong.audit.models import Record
from qitong.orgs.second_factor import factors
from qitong.orgs.second_factor.models import RecoveryCode
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 2, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def app_for(device):
    """The authenticator app holding ``device``'s secret."""
    return pyotp.TOTP(base64.b32encode(bytes.fromhex(device.key)).decode())


def enrolled(user):
    device = factors.pending_device(user)
    codes = factors.confirm(device, app_for(device).now())
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def password(client, username, nxt=""):
    data = {"username": username, "password": PASSWORD}
    if nxt:
        data["next"] = nxt
    return client.post("/login/", data, REMOTE_ADDR="203.0.113.10")


def code(client, value):
    return client.post("/login/code/", {"code": value}, REMOTE_ADDR="203.0.113.10")


def logged_in_as(client):
    return client.get("/").status_code == 302 and client.session.get("_auth_user_id")


def test_staff_without_a_device_log_in_as_before_when_optional(client, office_user, clock):
    answer = password(client, "office")
    assert answer.status_code == 302 and answer.url == "/"
    assert client.session["_auth_user_id"] == str(office_user.pk)
    assert 'href="/account/second-factor/"' in client.get("/inbox/").content.decode()


def test_the_top_bar_offers_no_second_factor_where_it_does_not_apply(
    client, enterprise_user, office_user, settings
):
    client.force_login(enterprise_user)
    assert "/account/second-factor/" not in client.get("/inbox/").content.decode()
    settings.QITONG_STAFF_2FA = "off"
    client.force_login(office_user)
    assert "/account/second-factor/" not in client.get("/inbox/").content.decode()


def test_enrolled_staff_are_asked_for_the_code_after_the_password(
    client, office_user, clock, django_capture_on_commit_callbacks
):
    device, _codes = enrolled(office_user)
    clock.shift(dt.timedelta(seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        answer = password(client, "office", nxt="/inbox/")
        assert answer.status_code == 302 and answer.url == "/login/code/"
        assert "_auth_user_id" not in client.session  # no session before the code
        assert client.get("/inbox/").status_code == 302
        wrong = code(client, "000000" if app_for(device).now() != "000000" else "111111")
        assert wrong.status_code == 400
        assert "验证码不正确" in wrong.content.decode()
        clock.shift(dt.timedelta(seconds=2))  # django-otp waits a second after a wrong code
        right = code(client, app_for(device).now())
    assert right.status_code == 302 and right.url == "/inbox/"
    assert client.session["_auth_user_id"] == str(office_user.pk)
    chain.seal()
    trail = list(Record.objects.order_by("seq").values_list("action", "outcome"))
    assert trail == [
        ("security", "success"),  # the enrolment
        ("second_factor", "failure"),
        ("second_factor", "success"),
        ("login", "success"),
    ]


def test_a_code_is_good_once(client, office_user, clock):
    device, _codes = enrolled(office_user)
    clock.shift(dt.timedelta(seconds=30))
    current = app_for(device).now()
    password(client, "office")
    assert code(client, current).status_code == 302
    client.post("/logout/")
    password(client, "office")
    assert code(client, current).status_code == 400  # replayed within its window
    clock.shift(dt.timedelta(seconds=30))
    assert code(client, app_for(device).now()).status_code == 302


def test_a_recovery_code_logs_in_once_and_is_stored_hashed(client, office_user, clock):
    _device, codes = enrolled(office_user)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=office_user).values_list("digest", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    password(client, "office")
    assert code(client, codes[3].upper().replace("-", " ")).status_code == 302
    client.post("/logout/")
    password(client, "office")
    assert code(client, codes[3]).status_code == 400
    assert factors.unused_recovery_codes(office_user) == 9


def test_five_wrong_codes_send_the_user_back_to_the_password(client, office_user, clock):
    enrolled(office_user)
    password(client, "office")
    for _attempt in range(4):
        assert code(client, "aaaaa-bbbbb").status_code == 400
    answer = code(client, "aaaaa-bbbbb")
    assert answer.status_code == 302 and answer.url == "/login/"
    assert code(client, "aaaaa-bbbbb").url == "/login/"


def test_the_pending_password_expires(client, office_user, clock):
    device, _codes = enrolled(office_user)
    password(client, "office")
    clock.shift(dt.timedelta(minutes=6))
    answer = code(client, app_for(device).now())
    assert answer.status_code == 302 and answer.url == "/login/"
    assert "_auth_user_id" not in client.session


def test_required_makes_staff_enrol_at_their_next_login(client, unit_user, settings, clock):
    settings.QITONG_STAFF_2FA = "required"
    answer = password(client, "fgw-clerk")
    assert answer.url == "/account/second-factor/"
    page = client.get(answer.url)
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # the QR code is no inline script
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    assert "_auth_user_id" not in client.session
    assert client.post(answer.url, {"code": "123456"}).status_code in (400, 200)
    clock.shift(dt.timedelta(seconds=30))
    shown = client.post(answer.url, {"code": pyotp.TOTP(secret).now()})
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.content.decode())
    assert len(codes) == 10
    assert client.session["_auth_user_id"] == str(unit_user.pk)
    assert TOTPDevice.objects.get(user=unit_user).confirmed


def test_enterprise_users_are_never_asked(client, enterprise_user, settings, clock):
    settings.QITONG_STAFF_2FA = "required"
    assert password(client, "ent").url == "/"
    client.force_login(enterprise_user)
    assert client.get("/account/second-factor/").status_code == 403


def test_off_asks_no_one(client, office_user, settings, clock):
    enrolled(office_user)
    settings.QITONG_STAFF_2FA = "off"
    assert password(client, "office").url == "/"


def test_a_logged_in_officer_enrols_and_later_renews_the_recovery_codes(client, leader_user, clock):
    client.force_login(leader_user)
    page = client.get("/account/second-factor/")
    assert 'data-testid="totp-qr"' in page.content.decode()
    device = TOTPDevice.objects.get(user=leader_user, confirmed=False)
    assert client.get("/account/second-factor/").status_code == 200
    assert TOTPDevice.objects.filter(user=leader_user).count() == 1  # the same secret twice
    shown = client.post("/account/second-factor/", {"code": app_for(device).now()})
    first = re.findall(r"<code>([a-z2-9-]{11})</code>", shown.content.decode())
    assert len(first) == 10
    clock.shift(dt.timedelta(seconds=30))
    renewed = client.post("/account/second-factor/", {"code": app_for(device).now()})
    second = re.findall(r"<code>([a-z2-9-]{11})</code>", renewed.content.decode())
    assert len(second) == 10 and not set(first) & set(second)
    assert factors.unused_recovery_codes(leader_user) == 10


def test_the_admin_site_signs_in_through_the_platform_login(client, admin_user):
    answer = client.get("/admin/login/?next=/admin/")
    assert answer.status_code == 302 and answer.url.startswith("/login/?next=")


def test_an_unknown_policy_is_refused(settings):
    settings.QITONG_STAFF_2FA = "sometimes"
    with pytest.raises(ImproperlyConfigured, match="QITONG_STAFF_2FA"):
        factors.policy()


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_the_admin_never_shows_a_users_totp_secret(admin_client, office_user, view):
    device, _codes = enrolled(office_user)
    for pk in (device.pk, 999999):  # an existing device, and one that does not exist (no 500)
        answer = admin_client.get(f"/admin/otp_totp/totpdevice/{pk}/{view}/")
        assert answer.status_code == 403
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
