"""Per-user channel choices, urges and digests held to office hours, and the settings page."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.core.clock import SHANGHAI
from qitong.core.models import OfficeHours
from qitong.core.workdays import WorkCalendar
from qitong.notify import actions, outbox
from qitong.notify.models import ChannelChoice, Message, Robot
from qitong.notify.timing import next_opening
from qitong.orgs.models import User

pytestmark = pytest.mark.django_db

Push = Message.PushStatus
Email = Message.EmailStatus
MONDAY_10 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
MONDAY_20 = dt.datetime(2026, 11, 2, 20, 0, tzinfo=SHANGHAI)
TUESDAY_9 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)
SATURDAY_10 = dt.datetime(2026, 11, 7, 10, 0, tzinfo=SHANGHAI)
NEXT_MONDAY_9 = dt.datetime(2026, 11, 9, 9, 0, tzinfo=SHANGHAI)


def _by_enqueue(users, kind):
    return outbox.enqueue(users, kind=kind, subject="s", body="b")


def _by_enqueue_many(users, kind):
    outbox.enqueue_many([(users, "s", "b", "")], kind=kind)
    return list(Message.objects.filter(recipient__in=users, kind=kind))


def _by_enqueue_select(users, kind):
    ids = outbox.enqueue_select(
        User.objects.filter(pk__in=[u.pk for u in users]), kind=kind, subject="s", body="b"
    )
    return list(Message.objects.filter(pk__in=ids))


WRITERS = [_by_enqueue, _by_enqueue_many, _by_enqueue_select]


@pytest.fixture
def people(clerk, fgw, settings, admin_user):
    """Four users of one unit with a robot, each choosing differently."""
    settings.QITONG_SMS_URL = "http://127.0.0.1:9/send"
    settings.QITONG_WECOM_HOSTS = ["127.0.0.1"]
    actions.set_robot(fgw, "http://127.0.0.1:9/robot", acting_user=admin_user)
    users = {"plain": clerk}
    for name in ("quiet", "texter", "mixed"):
        user = User.objects.create_user(
            name,
            email=f"{name}@fgw.example.org",
            role=User.Role.UNIT,
            unit=fgw,
            phone="13800000009",
        )
        users[name] = user
    actions.set_channels(users["quiet"], {"": {"email"}}, acting_user=users["quiet"])
    actions.set_channels(users["texter"], {"": {"inbox", "sms"}}, acting_user=users["texter"])
    actions.set_channels(
        users["mixed"],
        {"": {"inbox", "email"}, "dispatch": {"inbox", "wecom"}},
        acting_user=users["mixed"],
    )
    return users


def _routes(messages):
    return {
        m.recipient.username: (m.in_inbox, m.email_status, m.sms_status, m.wecom_status)
        for m in Message.objects.filter(pk__in=[m.pk for m in messages]).select_related("recipient")
    }


@pytest.mark.parametrize("write", WRITERS)
def test_each_writer_routes_messages_as_each_user_chose(people, write):
    with time_machine.travel(MONDAY_10, tick=False):
        dispatch = write(list(people.values()), "dispatch")
        reply = write(list(people.values()), "reply")

    assert _routes(dispatch) == {
        "fgw-clerk": (True, Email.PENDING, Push.NONE, Push.NONE),  # no row: inbox and e-mail
        "quiet": (False, Email.PENDING, Push.NONE, Push.NONE),
        "texter": (True, Email.NONE, Push.PENDING, Push.NONE),
        "mixed": (True, Email.NONE, Push.NONE, Push.PENDING),  # dispatch's own row
    }
    assert _routes(reply)["mixed"] == (True, Email.PENDING, Push.NONE, Push.NONE)  # the default


@pytest.mark.parametrize("write", WRITERS)
def test_without_pushes_asked_for_only_the_inbox_is_written(people, write):
    if write is _by_enqueue:
        messages = outbox.enqueue(
            list(people.values()), kind="dispatch", subject="s", body="b", email=False
        )
    elif write is _by_enqueue_many:
        outbox.enqueue_many([(list(people.values()), "s", "b", "")], kind="dispatch", email=False)
        messages = list(Message.objects.all())
    else:
        ids = outbox.enqueue_select(
            User.objects.filter(unit__code="fgw"),
            kind="dispatch",
            subject="s",
            body="b",
            email=False,
        )
        messages = list(Message.objects.filter(pk__in=ids))
    routes = _routes(messages)
    assert {route[1:] for route in routes.values()} == {(Email.NONE, Push.NONE, Push.NONE)}


def test_a_kind_kept_out_of_the_inbox_is_neither_listed_nor_counted(client, people):
    quiet = people["quiet"]
    outbox.enqueue([quiet], kind="dispatch", subject="看不见的消息", body="b")
    outbox.enqueue([quiet], kind="reply", subject="也看不见", body="b")
    actions.set_channels(quiet, {"reply": {"inbox"}}, acting_user=quiet)
    outbox.enqueue([quiet], kind="reply", subject="看得见的答复", body="b")
    client.force_login(quiet)
    page = client.get("/inbox/").content.decode()
    assert "看得见的答复" in page and "看不见的消息" not in page and "也看不见" not in page
    assert client.get("/api/v1/inbox").json()["count"] == 1
    assert client.get("/inbox/").context["unread_count"] == 1


def test_choices_are_checked_and_kept_by_their_owner_or_an_admin(people, admin_user):
    texter, quiet = people["texter"], people["quiet"]
    with pytest.raises(PermissionDenied):
        actions.set_channels(texter, {"": {"inbox"}}, acting_user=quiet)
    with pytest.raises(ValidationError) as raised:
        actions.set_channels(texter, {"": set()}, acting_user=texter)
    assert raised.value.message_dict == {"channels": ["“全部消息”至少应选择一种通知方式。"]}
    with pytest.raises(ValidationError) as raised:
        actions.set_channels(texter, {"nonsense": {"inbox"}, "urge": {"fax"}}, acting_user=texter)
    assert set(raised.value.message_dict) == {"kind", "channels"}
    actions.set_channels(texter, {"urge": {"sms"}}, acting_user=admin_user)
    actions.set_channels(texter, {"urge": None}, acting_user=texter)  # back to the default
    assert actions.channels_of(texter) == {"": {"inbox", "sms"}}


# --- office hours -------------------------------------------------------------------


def test_the_next_opening_follows_the_calendar_and_the_office_hours(db):
    calendar = WorkCalendar()
    assert next_opening(calendar, MONDAY_10) == MONDAY_10
    assert next_opening(calendar, MONDAY_20) == TUESDAY_9
    assert next_opening(calendar, SATURDAY_10) == NEXT_MONDAY_9
    OfficeHours.objects.create(start=dt.time(8, 30), end=dt.time(12, 0))
    OfficeHours.objects.create(start=dt.time(14, 0), end=dt.time(17, 30))
    lunch = dt.datetime(2026, 11, 2, 12, 30, tzinfo=SHANGHAI)
    assert next_opening(WorkCalendar(), lunch) == dt.datetime(2026, 11, 2, 14, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("write", WRITERS)
@pytest.mark.parametrize("kind", ["urge", "policy_digest", "project_digest"])
def test_urges_and_digests_written_after_hours_are_pushed_at_the_next_opening(
    people, write, kind, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(SATURDAY_10, tick=False):
        held = write(list(people.values()), kind)
        other = write(list(people.values()), "dispatch")
    rows = Message.objects.filter(pk__in=[m.pk for m in held])
    assert {m.email_next_attempt_at for m in rows if m.email_status == Email.PENDING} == {
        NEXT_MONDAY_9
    }
    assert {m.sms_next_attempt_at for m in rows if m.sms_status == Push.PENDING} == {NEXT_MONDAY_9}
    assert all(m.in_inbox or m.recipient.username == "quiet" for m in rows)  # inbox at once
    others = Message.objects.filter(pk__in=[m.pk for m in other], email_status=Email.PENDING)
    assert {m.email_next_attempt_at for m in others} == {SATURDAY_10}


def test_a_held_urge_is_not_emailed_before_office_hours_and_then_is(clerk, mailbox):
    with time_machine.travel(MONDAY_20, tick=False) as traveller:
        outbox.enqueue([clerk], kind="urge", subject="催办：QT-2026-000001", body="请尽快办理。")
        outbox.enqueue([clerk], kind="dispatch", subject="派发：QT-2026-000002", body="请签收。")
        assert outbox.deliver_due() == {"sent": 1, "failed": 0}
        assert mailbox.subjects == ["派发：QT-2026-000002"]
        traveller.move_to(TUESDAY_9 - dt.timedelta(seconds=1))
        assert outbox.deliver_due() == {"sent": 0, "failed": 0}
        traveller.move_to(TUESDAY_9)
        assert outbox.deliver_due() == {"sent": 1, "failed": 0}
    assert mailbox.subjects == ["派发：QT-2026-000002", "催办：QT-2026-000001"]


def test_a_held_kinds_retry_after_closing_waits_for_the_next_opening(clerk, smtp_port):
    late = dt.datetime(2026, 11, 2, 16, 59, 30, tzinfo=SHANGHAI)
    with time_machine.travel(late, tick=False):
        [message] = outbox.enqueue([clerk], kind="urge", subject="催办", body="b")
        assert outbox.deliver_due() == {"sent": 0, "failed": 1}  # no SMTP server
    message.refresh_from_db()
    assert message.email_next_attempt_at == TUESDAY_9


# --- the page and the admin -----------------------------------------------------------


def test_the_page_shows_and_saves_a_users_channels(client, people):
    texter = people["texter"]
    client.force_login(texter)
    page = client.get("/inbox/channels/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="all:sms" aria-label="全部消息（默认） 短信" checked' in text
    assert "本单位企业微信群机器人" in text  # a unit's staff set its robot here
    assert 'href="/inbox/channels/"' in client.get("/inbox/").content.decode()

    answer = client.post(
        "/inbox/channels/",
        {
            "all:inbox": "on",
            "all:email": "on",
            "own:urge": "on",
            "urge:sms": "on",
            "urge:wecom": "on",
            "robot": "http://127.0.0.1:9/robot2",
        },
    )
    assert answer.status_code == 302
    assert actions.channels_of(texter) == {"": {"inbox", "email"}, "urge": {"sms", "wecom"}}
    assert Robot.objects.get().url == "http://127.0.0.1:9/robot2"


def test_the_page_refuses_a_kind_without_channels_and_a_foreign_robot(client, people, settings):
    texter = people["texter"]
    client.force_login(texter)
    answer = client.post("/inbox/channels/", {"all:inbox": "on", "own:urge": "on"})
    assert answer.status_code == 400
    assert "“催办”至少应选择一种通知方式。" in answer.content.decode()
    settings.QITONG_WECOM_HOSTS = ["qyapi.weixin.qq.com"]
    answer = client.post("/inbox/channels/", {"all:inbox": "on", "robot": "http://10.1.1.1/x"})
    assert answer.status_code == 400
    assert "群机器人地址应为 qyapi.weixin.qq.com 上的 http(s) 地址。" in answer.content.decode()
    assert actions.channels_of(texter) == {"": {"inbox", "sms"}}  # nothing half-written


def test_an_enterprise_user_chooses_channels_but_sets_no_robot(client, enterprise_user):
    client.force_login(enterprise_user)
    text = client.get("/inbox/channels/").content.decode()
    assert "本单位企业微信群机器人" not in text
    assert client.post("/inbox/channels/", {"all:inbox": "on", "all:sms": "on"}).status_code == 302
    assert ChannelChoice.objects.get(user=enterprise_user).sms


def test_the_admin_lists_choices_and_refuses_a_robot_on_another_host(
    client, admin_user, people, fgw, settings
):
    settings.QITONG_WECOM_HOSTS = ["qyapi.weixin.qq.com"]
    client.force_login(admin_user)
    assert client.get("/admin/notify/channelchoice/").status_code == 200
    assert client.get("/admin/notify/robot/").status_code == 200
    answer = client.post(
        f"/admin/notify/robot/{Robot.objects.get().pk}/change/",
        {"unit": fgw.pk, "url": "http://169.254.169.254/latest"},
    )
    assert answer.status_code == 200  # the form again, with the error
    assert "群机器人地址应为" in answer.content.decode()
