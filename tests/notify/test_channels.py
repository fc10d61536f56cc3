"""SMS and WeCom through the outbox, against real HTTP servers on loopback."""

import datetime as dt
import hashlib
import hmac

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.core.clock import SHANGHAI
from qitong.notify import actions, channels, outbox
from qitong.notify.checks import check_sms_settings
from qitong.notify.models import ChannelChoice, Message, Robot
from qitong.orgs.models import User
from tests.conftest import _user
from tests.notify.gateways import Gateway
from tests.processes import free_port

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # a working day, in office hours
SECRET = "sms-secret-0123456789"
Push = Message.PushStatus


@pytest.fixture
def sms_gateway(settings):
    """The SMS gateway on a free port, configured but not started."""
    gateway = Gateway(free_port())
    settings.QITONG_SMS_URL = gateway.url
    settings.QITONG_SMS_KEY_ID = "qitong-key"
    settings.QITONG_SMS_SECRET = SECRET
    settings.QITONG_SMS_TEMPLATES = "default=SMS_100, urge=SMS_200"
    yield gateway
    gateway.stop()


@pytest.fixture
def robot_api(settings):
    """WeCom's robot API on a free port, started."""
    settings.QITONG_WECOM_HOSTS = ["127.0.0.1"]
    gateway = Gateway(free_port())
    gateway.answer = (200, {"errcode": 0, "errmsg": "ok"})
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def texter(clerk):
    """A unit's clerk who takes SMS besides the inbox and e-mail."""
    clerk.phone = "13800000001"
    clerk.save(update_fields=["phone"])
    actions.set_channels(clerk, {"": {"inbox", "email", "sms"}}, acting_user=clerk)
    return clerk


def _notify(user, subject="诉求 QT-2026-000001 已派发至贵单位", kind="dispatch"):
    [message] = outbox.enqueue(
        [user], kind=kind, subject=subject, body="请在 1 个工作日内签收。", url="/appeals/1/"
    )
    return message


def test_an_sms_is_a_templated_signed_request_to_the_gateway(texter, sms_gateway, mailbox):
    sms_gateway.start()
    with time_machine.travel(MONDAY, tick=False):
        message = _notify(
            texter, subject="诉求 QT-2026-000001 已派发至贵单位，请及时签收并办理，逾期将自动督办"
        )
        assert outbox.deliver_due() == {"sent": 2, "failed": 0}  # the e-mail and the SMS

    [request] = sms_gateway.received
    body = request["json"]
    assert body["phone"] == "13800000001"
    assert body["template"] == "SMS_100"  # the default: no template of its own for dispatch
    assert body["request_id"] == f"qitong-{message.pk}"
    assert body["params"]["url"] == "/appeals/1/"
    assert len(body["params"]["subject"]) == channels.SMS_SUBJECT_MAX
    headers = request["headers"]
    assert headers["X-Sms-Key"] == "qitong-key"
    assert headers["X-Sms-Timestamp"] == str(int(MONDAY.timestamp()))
    expected = hmac.new(
        SECRET.encode(),
        f"{headers['X-Sms-Timestamp']}\n{headers['X-Sms-Nonce']}\n".encode() + request["raw"],
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Sms-Signature"] == expected
    message.refresh_from_db()
    assert (message.sms_status, message.sms_attempts) == (Push.SENT, 1)
    assert message.email_status == Message.EmailStatus.SENT
    assert len(mailbox.received) == 1


def test_a_kind_with_its_own_template_uses_it(texter, sms_gateway):
    sms_gateway.start()
    with time_machine.travel(MONDAY, tick=False):
        _notify(texter, subject="催办：QT-2026-000001", kind="urge")
        outbox.deliver_due()
    assert [r["json"]["template"] for r in sms_gateway.received] == ["SMS_200"]


def test_gateway_down_then_up_delivers_every_sms_after_in_order(texter, sms_gateway, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(MONDAY, tick=False) as traveller:
        messages = [_notify(texter, subject=f"第 {n} 条") for n in (1, 2, 3)]
        summary = outbox.deliver_due()
        # Three e-mails went; of the SMS only the oldest was tried: the rest wait behind it.
        assert summary == {"sent": 3, "failed": 1}
        assert sms_gateway.received == []

        sms_gateway.start()
        traveller.shift(dt.timedelta(seconds=30))
        assert outbox.deliver_due() == {"sent": 0, "failed": 0}  # still backing off
        traveller.shift(dt.timedelta(seconds=31))
        assert outbox.deliver_due() == {"sent": 3, "failed": 0}

    assert [r["json"]["params"]["subject"] for r in sms_gateway.received] == [
        "第 1 条",
        "第 2 条",
        "第 3 条",
    ]
    first, *rest = (Message.objects.get(pk=m.pk) for m in messages)
    assert (first.sms_status, first.sms_attempts) == (Push.SENT, 2)
    assert first.sms_last_error == ""
    assert all((m.sms_status, m.sms_attempts) == (Push.SENT, 1) for m in rest)


def test_a_failed_sms_is_retried_alone_without_sending_the_email_again(
    texter, sms_gateway, mailbox
):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        message = _notify(texter)
        assert outbox.deliver_due() == {"sent": 1, "failed": 1}
        message.refresh_from_db()
        assert message.email_status == Message.EmailStatus.SENT
        assert (message.sms_status, message.sms_attempts) == (Push.PENDING, 1)
        assert message.sms_next_attempt_at == MONDAY + dt.timedelta(minutes=1)
        assert "ConnectionRefused" in message.sms_last_error or message.sms_last_error

        sms_gateway.start()
        traveller.shift(dt.timedelta(minutes=1))
        assert outbox.deliver_due() == {"sent": 1, "failed": 0}
    assert len(mailbox.received) == 1
    assert len(sms_gateway.received) == 1


def test_a_gateway_refusal_is_given_up_at_once_and_does_not_hold_back_the_next(
    texter, sms_gateway, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms_gateway.start()
    with time_machine.travel(MONDAY, tick=False):
        first = _notify(texter, subject="第 1 条")
        sms_gateway.answer = (400, {"code": "InvalidPhone"})
        outbox.deliver_due()
        first.refresh_from_db()
        assert (first.sms_status, first.sms_attempts) == (Push.FAILED, 1)
        assert "HTTP 400" in first.sms_last_error

        sms_gateway.answer = (200, {"code": "OK"})
        _notify(texter, subject="第 2 条")
        assert outbox.deliver_due() == {"sent": 2, "failed": 0}  # its e-mail and its SMS
    assert [r["json"]["params"]["subject"] for r in sms_gateway.received] == ["第 2 条"]


def test_a_copy_failing_too_often_is_given_up(texter, sms_gateway, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms_gateway.answer = (200, {"code": "Throttled", "message": "busy"})
    sms_gateway.start()
    with time_machine.travel(MONDAY, tick=False) as traveller:
        message = _notify(texter)
        for _attempt in range(channels.MAX_ATTEMPTS):
            outbox.deliver_due()
            traveller.shift(dt.timedelta(hours=1))
    message.refresh_from_db()
    assert (message.sms_status, message.sms_attempts) == (Push.FAILED, channels.MAX_ATTEMPTS)
    assert "Throttled" in message.sms_last_error


def test_without_a_gateway_or_a_number_no_sms_is_queued(clerk, settings):
    actions.set_channels(clerk, {"": {"inbox", "sms"}}, acting_user=clerk)
    settings.QITONG_SMS_URL = "http://127.0.0.1:9/send"
    assert _notify(clerk).sms_status == Push.NONE  # no mobile number
    clerk.phone = "13800000001"
    clerk.save(update_fields=["phone"])
    assert _notify(clerk).sms_status == Push.PENDING
    settings.QITONG_SMS_URL = ""
    assert _notify(clerk).sms_status == Push.NONE  # no gateway


# --- WeCom -----------------------------------------------------------------------------


@pytest.fixture
def robot(fgw, admin_user, robot_api):
    return actions.set_robot(fgw, robot_api.url + "?key=abc", acting_user=admin_user)


def test_one_wecom_markdown_post_tells_a_units_group_of_a_message_to_several(
    clerk, fgw, robot, robot_api, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    colleague = _user("fgw2", User.Role.UNIT, unit=fgw)
    colleague.last_name, colleague.first_name = "李", "四"
    colleague.save()
    for user in (clerk, colleague):
        actions.set_channels(user, {"dispatch": {"inbox", "wecom"}}, acting_user=user)
    with time_machine.travel(MONDAY, tick=False):
        ids = outbox.enqueue_select(
            User.objects.filter(unit=fgw),
            kind="dispatch",
            subject="诉求 QT-2026-000002 已派发至贵单位",
            body="请在 1 个工作日内签收。",
            url="/appeals/2/",
        )
        assert outbox.deliver_due() == {"sent": 1, "failed": 0}

    [post] = robot_api.received
    assert post["path"] == "/send?key=abc"
    assert post["json"]["msgtype"] == "markdown"
    content = post["json"]["markdown"]["content"]
    assert content.startswith("**诉求 QT-2026-000002 已派发至贵单位**\n请在 1 个工作日内签收。")
    assert "李四" in content and clerk.username in content
    assert "/appeals/2/" in content
    statuses = set(Message.objects.filter(pk__in=ids).values_list("wecom_status", "email_status"))
    assert statuses == {(Push.SENT, Message.EmailStatus.NONE)}  # e-mail not chosen for dispatch


def test_a_rate_limited_robot_is_tried_again_and_a_bad_key_given_up(
    clerk, robot, robot_api, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    actions.set_channels(clerk, {"": {"wecom"}}, acting_user=clerk)
    robot_api.answer = (200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    with time_machine.travel(MONDAY, tick=False) as traveller:
        message = _notify(clerk)
        assert outbox.deliver_due() == {"sent": 0, "failed": 1}
        message.refresh_from_db()
        assert (message.wecom_status, message.wecom_attempts) == (Push.PENDING, 1)

        robot_api.answer = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        traveller.shift(dt.timedelta(minutes=1))
        assert outbox.deliver_due() == {"sent": 0, "failed": 1}
        message.refresh_from_db()
        assert message.wecom_status == Push.FAILED
        assert "93000" in message.wecom_last_error


def test_the_markdown_stays_within_wecoms_4096_bytes(clerk):
    message = Message(subject="长消息", body="很长的内容" * 2000, url="/appeals/1/")
    content = channels.markdown(message, ["张三"])
    assert len(content.encode()) <= channels.WECOM_MAX_BYTES
    assert content.endswith("> 链接：/appeals/1/")


def test_a_robot_address_must_be_on_an_allowed_host(fgw, admin_user, settings):
    settings.QITONG_WECOM_HOSTS = ["qyapi.weixin.qq.com"]
    with pytest.raises(ValidationError) as raised:
        actions.set_robot(fgw, "http://10.0.0.5/internal", acting_user=admin_user)
    assert "url" in raised.value.message_dict
    robot = actions.set_robot(
        fgw, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", acting_user=admin_user
    )
    assert robot.updated_by == admin_user
    assert actions.set_robot(fgw, "", acting_user=admin_user) is None
    assert not Robot.objects.exists()


def test_only_the_units_own_staff_or_an_admin_set_its_robot(fgw, clerk, officer, robot_api):
    url = robot_api.url
    assert actions.set_robot(fgw, url, acting_user=clerk).url == url
    with pytest.raises(PermissionDenied):
        actions.set_robot(fgw, url, acting_user=officer)  # another unit's staff


# --- settings ---------------------------------------------------------------------------


def test_the_sms_settings_are_checked(settings):
    settings.QITONG_SMS_URL = ""
    assert check_sms_settings() == []
    settings.QITONG_SMS_URL = "https://sms.example.org/send"
    settings.QITONG_SMS_KEY_ID = ""
    settings.QITONG_SMS_SECRET = "s"
    settings.QITONG_SMS_TEMPLATES = "urge"
    assert [e.id for e in check_sms_settings()] == ["notify.E001", "notify.E002"]
    settings.QITONG_SMS_KEY_ID = "k"
    settings.QITONG_SMS_TEMPLATES = "urge=SMS_2"
    assert [e.id for e in check_sms_settings()] == ["notify.E003"]
    settings.QITONG_SMS_TEMPLATES = "default=SMS_1,urge=SMS_2"
    assert check_sms_settings() == []
    assert ChannelChoice.DEFAULTS == {"inbox": True, "email": True, "sms": False, "wecom": False}
