"""Every message an appeal action sends links to the case: in the row, the inbox and the e-mail."""

import pytest
import time_machine
from django.urls import reverse

from qitong.appeals import actions
from qitong.notify import outbox
from qitong.notify.models import Message
from tests.appeals.conftest import City, at

pytestmark = pytest.mark.django_db
WHEN = at("2026-11-02 10:00")


@pytest.fixture
def city(db):
    cast = City()
    cast.ent_user.email = "ent@example.org"  # so the enterprise's reply is e-mailed too
    cast.ent_user.save(update_fields=["email"])
    return cast


def _through_the_loop(city):
    """Dispatch, return, dispatch again, reply and urge: one message of each kind, one case."""
    appeal = city.dispatched(when=WHEN)
    actions.return_to_office(appeal, acting_user=city.fgw_user, at=WHEN, reason="不属于本单位职责")
    actions.dispatch(
        appeal, acting_user=city.office_user, at=WHEN, mode="transfer", lead_unit="fgw"
    )
    actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    actions.reply(appeal, acting_user=city.fgw_user, at=WHEN, note="已协调供电公司")
    actions.urge(appeal, acting_user=city.office_user, at=WHEN, note="请本周内办结")
    return appeal


def test_the_actions_messages_link_to_the_case_page_in_the_inbox_and_the_email(
    client, city, mailbox
):
    with time_machine.travel(WHEN, tick=False):  # in office hours: the urge is pushed at once
        appeal = _through_the_loop(city)
    case_page = f"/appeals/{appeal.pk}/"
    recipients = {
        "dispatch": {city.fgw_user},
        "return": {city.office_user},
        "reply": {city.ent_user},
        "urge": {city.fgw_user},
    }
    sent = list(Message.objects.filter(kind__in=recipients).select_related("recipient"))
    assert {kind: {m.recipient for m in sent if m.kind == kind} for kind in recipients} == (
        recipients
    )
    assert [m.kind for m in sent].count("dispatch") == 2  # dispatched twice
    assert {m.url for m in sent} == {case_page}

    for message in sent:
        client.force_login(message.recipient)
        inbox = client.get(reverse("inbox")).content.decode()
        assert f'<a href="{case_page}">{message.subject}</a>' in inbox, message.kind
        assert client.get(case_page).status_code == 200  # the link opens for its reader

    assert outbox.deliver_due()["failed"] == 0
    for message in sent:
        key = (message.subject, message.recipient.email)
        alike = [m for m in sent if (m.subject, m.recipient.email) == key]
        received = [item for item in mailbox.received if (item["subject"], *item["to"]) == key]
        assert len(received) == len(alike), message.kind  # the two dispatches read the same
        for item in received:
            assert item["body"].startswith(message.body), message.kind
            assert case_page in item["body"].splitlines(), message.kind
