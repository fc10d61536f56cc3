"""Kinds no longer sent are not offered on the channels page; their old rows stay readable.
And the page as an outsider would try it: bad bytes, huge fields, formulas, unknown names."""

import pytest
from django.core.exceptions import ValidationError

from qitong.notify import actions
from qitong.notify.models import ChannelChoice, Robot

pytestmark = pytest.mark.django_db

RETIRED = ("visit_difficulty", "project_problem")


def test_retired_kinds_are_not_offered_and_cannot_be_chosen(client, unit_user):
    for kind in RETIRED:
        assert kind not in actions.KINDS and kind in actions.RETIRED
    client.force_login(unit_user)
    text = client.get("/inbox/channels/").content.decode()
    assert "走访困难" not in text and "重点项目问题" not in text
    assert 'name="own:urge"' in text  # a kind still sent is offered
    with pytest.raises(ValidationError) as refused:
        actions.set_channels(unit_user, {"visit_difficulty": {"sms"}}, acting_user=unit_user)
    assert "kind" in refused.value.message_dict


def test_an_old_row_of_a_retired_kind_is_kept_and_readable(client, unit_user, admin_user):
    old = ChannelChoice.objects.create(user=unit_user, kind="visit_difficulty", sms=True)
    client.force_login(unit_user)
    answer = client.post(
        "/inbox/channels/", {"all:inbox": "on", "own:urge": "on", "urge:sms": "on"}
    )
    assert answer.status_code == 302
    old.refresh_from_db()  # saving the page leaves it alone
    assert old.sms and actions.channels_of(unit_user)["visit_difficulty"] == {
        "inbox",
        "email",
        "sms",
    }
    client.force_login(admin_user)
    listing = client.get("/admin/notify/channelchoice/").content.decode()
    assert "走访困难（已停用）" in listing


@pytest.mark.parametrize(
    "robot, field_message",
    [
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a\x00b", "<code>robot</code>"),
        ('=HYPERLINK("http://evil.example")', "群机器人地址"),
        ("http://qyapi.weixin.qq.com/" + "a" * 1_000_000, "群机器人地址过长"),
    ],
)
def test_the_page_refuses_bad_robot_addresses_naming_the_field(
    client, unit_user, settings, robot, field_message
):
    settings.QITONG_WECOM_HOSTS = ["qyapi.weixin.qq.com"]
    client.force_login(unit_user)
    answer = client.post("/inbox/channels/", {"all:inbox": "on", "robot": robot})
    assert answer.status_code == 400
    assert field_message in answer.content.decode()
    assert not Robot.objects.exists() and not ChannelChoice.objects.exists()


def test_the_page_ignores_unknown_names_and_refuses_an_empty_default(client, unit_user):
    client.force_login(unit_user)
    answer = client.post(
        "/inbox/channels/",
        {"all:inbox": "on", "own:nosuch": "on", "nosuch:sms": "on", "all:fax": "on"},
    )
    assert answer.status_code == 302
    assert actions.channels_of(unit_user) == {"": {"inbox"}}
    answer = client.post("/inbox/channels/", {"own:urge": "on"})
    assert answer.status_code == 400
    assert "“全部消息”至少应选择一种通知方式。" in answer.content.decode()


def test_the_page_refuses_a_body_past_the_upload_limit_with_400(client, unit_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.force_login(unit_user)
    answer = client.post("/inbox/channels/", {"all:inbox": "on", "robot": "x" * 4096})
    assert answer.status_code == 400
