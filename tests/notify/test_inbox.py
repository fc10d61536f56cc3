"""The inbox page and API show a user only their own messages."""

import pytest
from django.urls import reverse

from qitong.notify import outbox
from qitong.notify.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(clerk, officer):
    mine = outbox.enqueue(
        [clerk], kind="dispatch", subject="派发给承办单位", body="请签收", url="/x/"
    )
    theirs = outbox.enqueue([officer], kind="urge", subject="只给办公室看的", body="")
    return mine[0], theirs[0]


def test_the_inbox_page_shows_only_the_users_own_messages(client, clerk, messages):
    client.force_login(clerk)

    page = client.get(reverse("inbox")).content.decode()

    assert "派发给承办单位" in page
    assert "只给办公室看的" not in page
    assert "未读" in page


def test_the_inbox_page_lists_newest_first_twenty_a_page(client, clerk):
    for number in range(25):
        outbox.enqueue([clerk], kind="urge", subject=f"第{number:02d}条", body="", email=False)
    client.force_login(clerk)

    first = client.get(reverse("inbox")).context["page"]
    second = client.get(reverse("inbox"), {"page": 2}).context["page"]

    assert [m.subject for m in first.object_list][:2] == ["第24条", "第23条"]
    assert len(first.object_list) == 20
    assert [m.subject for m in second.object_list][-1] == "第00条"


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_marks_their_own_message_read(client, clerk, messages):
    mine, _theirs = messages
    client.force_login(clerk)

    response = client.post(reverse("inbox-read", args=[mine.pk]))

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "未读" not in client.get(reverse("inbox")).content.decode()


def test_marking_another_users_message_read_is_404(client, clerk, messages):
    _mine, theirs = messages
    client.force_login(clerk)

    assert client.post(reverse("inbox-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_takes_only_post(client, clerk, messages):
    mine, _theirs = messages
    client.force_login(clerk)

    assert client.get(reverse("inbox-read", args=[mine.pk])).status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_api_lists_only_the_callers_messages(client, clerk, messages):
    mine, _theirs = messages
    client.force_login(clerk)

    body = client.get("/api/v1/inbox").json()

    assert body["count"] == 1
    [item] = body["results"]
    assert item["id"] == mine.pk
    assert item["kind"] == "dispatch"
    assert item["subject"] == "派发给承办单位"
    assert item["body"] == "请签收"
    assert item["url"] == "/x/"
    assert item["read_at"] is None
    assert set(item) == {"id", "kind", "subject", "body", "url", "created_at", "read_at"}


def test_the_api_needs_authentication(client, messages):
    assert client.get("/api/v1/inbox").status_code == 401


def test_an_enterprise_user_has_an_inbox_too(client, enterprise_user):
    outbox.enqueue([enterprise_user], kind="policy", subject="新政策推送", body="")
    client.force_login(enterprise_user)

    assert "新政策推送" in client.get(reverse("inbox")).content.decode()
    assert Message.objects.get().email_status == Message.EmailStatus.NONE
