"""core.bulk.insert_rows stores what the ORM would: dates, JSON, nulls, the other fields' defaults."""

import pytest

from qitong.appeals.models import Event
from qitong.core.bulk import insert_rows
from qitong.notify.models import Message
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db


def test_rows_read_back_as_the_orm_writes_them_with_defaults_for_the_rest(city):
    office_user = city.office_user
    when = at("2026-11-02 10:00")
    rows = [
        (
            office_user.pk,
            "urge",
            f"催办：QT-2026-{n:06d}",
            "正文",
            f"/appeals/{n}/",
            when,
            "none",
            None,
        )
        for n in range(1, 1202)  # more than one statement's worth on either backend
    ]
    names = ("recipient", "kind", "subject", "body", "url", "created_at", "email_status")
    count = insert_rows(Message, (*names, "email_next_attempt_at"), rows)
    assert count == 1201 == Message.objects.count()
    message = Message.objects.get(url="/appeals/1201/")
    assert (message.recipient, message.subject, message.created_at) == (
        office_user,
        "催办：QT-2026-001201",
        when,
    )
    assert message.read_at is None and message.email_attempts == 0
    assert message.email_last_error == ""


def test_json_values_are_stored_as_json(city):
    appeal = city.file(when=at("2026-11-02 10:00"))
    insert_rows(
        Event,
        ("appeal", "action", "actor", "at", "unit", "note", "data"),
        [
            (
                appeal.pk,
                "urge",
                None,
                at("2026-11-02 10:00"),
                city.fgw.pk,
                "请抓紧办理。",
                {"triggers": ["major", "overdue"]},
            )
        ],
    )
    event = appeal.events.get(action="urge")
    assert event.data == {"triggers": ["major", "overdue"]} and event.unit == city.fgw
    assert Event.objects.filter(action="urge", data__triggers__1="overdue").count() == 1
