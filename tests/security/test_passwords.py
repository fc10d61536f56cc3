"""The password policy, the staff password age and the staff idle timeout."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from qitong.core import clock
from qitong.orgs.models import PasswordHistory, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def refusals(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


def test_the_rules_of_a_password(office_user):
    assert refusals("qitongqitong", office_user)  # the probe's admin password
    assert "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。" in refusals("qitongqitong")
    assert "密码太短。密码必须包含至少 8 个字符。" in refusals("Ab1!", office_user) or any(
        "8" in message for message in refusals("Ab1!", office_user)
    )
    assert refusals("Xy7-office-Qz", office_user) == ["密码不能包含用户名。"]
    assert refusals("Xy7-OFFICE-Qz", office_user) == ["密码不能包含用户名。"]
    assert refusals("Quanhua-2026", office_user) == []
    assert refusals("quanhua-2026", office_user) == []  # lower, digit, symbol
    assert refusals("Quanhua2026", office_user) == []  # upper, lower, digit
    for message in refusals("abc", office_user):
        assert any("\u4e00" <= char <= "\u9fff" for char in message), message


def test_none_of_the_last_five_passwords_again(office_user):
    passwords = [f"Quanhua-{year}" for year in range(2020, 2026)]
    for password in passwords:
        assert refusals(password, office_user) == []
        office_user.set_password(password)
        office_user.save()
    assert PasswordHistory.objects.filter(user=office_user).count() == 5
    for recent in passwords[1:]:
        assert refusals(recent, office_user) == ["不能与最近 5 次使用过的密码相同。"]
    assert refusals(passwords[0], office_user) == []  # the sixth back is forgotten


def test_the_change_password_page_applies_the_policy(client, office_user):
    client.force_login(office_user)
    page = client.get("/password/")
    assert page.status_code == 200
    assert "至少 3 类" in page.content.decode()
    weak = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "qitongqitong",
            "new_password2": "qitongqitong",
        },
    )
    assert weak.status_code == 200
    assert "至少 3 类" in weak.content.decode()
    strong = "Quanhua-2026!"
    done = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
    )
    assert done.status_code == 302
    office_user.refresh_from_db()
    assert office_user.check_password(strong)
    assert client.get("/").status_code in (200, 302)  # still logged in


@pytest.fixture
def policy(settings):
    settings.QITONG_PASSWORD_MAX_AGE_DAYS = 90
    settings.QITONG_STAFF_IDLE_MINUTES = 30


def test_a_staff_password_older_than_90_days_must_be_changed_first(client, policy, office_user):
    User.objects.filter(pk=office_user.pk).update(
        password_changed_at=clock.now() - dt.timedelta(days=91)
    )
    client.force_login(office_user)
    response = client.get("/inbox/", follow=True)
    assert response.redirect_chain[-1][0] == "/password/"
    assert "您的密码已超过 90 天未修改，请先修改密码。" in response.content.decode()
    assert client.get("/api/v1/me").status_code == 403
    strong = "Quanhua-2026!"
    client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
    )
    assert client.get("/inbox/").status_code == 200


def test_an_enterprise_password_does_not_expire(client, policy, enterprise_user):
    User.objects.filter(pk=enterprise_user.pk).update(
        password_changed_at=clock.now() - dt.timedelta(days=400)
    )
    client.force_login(enterprise_user)
    assert client.get("/inbox/").status_code == 200


def test_a_staff_session_ends_after_30_idle_minutes(client, policy, office_user):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(office_user)
        assert client.get("/inbox/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/inbox/").status_code == 200  # activity restarts the clock
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert client.get("/inbox/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        response = client.get("/inbox/", follow=True)
        assert response.redirect_chain[0][0].startswith("/login/")
        assert "已超过 30 分钟未操作，已自动退出" in response.content.decode()
        assert client.get("/inbox/").status_code == 302  # logged out


def test_an_enterprise_session_has_no_idle_limit(client, policy, enterprise_user):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client.force_login(enterprise_user)
        assert client.get("/inbox/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        assert client.get("/inbox/").status_code == 200
