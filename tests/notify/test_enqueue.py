"""Messages are written with the caller's change: they commit or vanish with it."""

import pytest
from django.db import transaction

from qitong.notify import outbox
from qitong.notify.models import Message

pytestmark = pytest.mark.django_db


class CallerFailed(Exception):
    pass


def _dispatch_and_notify(user, *, fail):
    """Stands in for an action: one change of its own, one message, one transaction."""
    with transaction.atomic():
        user.first_name = "已派发"
        user.save(update_fields=["first_name"])
        outbox.enqueue([user], kind="dispatch", subject="新的诉求已派发", body="请及时签收。")
        if fail:
            raise CallerFailed


def test_a_message_commits_with_the_callers_work(clerk):
    _dispatch_and_notify(clerk, fail=False)

    clerk.refresh_from_db()
    assert clerk.first_name == "已派发"
    message = Message.objects.get()
    assert message.recipient == clerk
    assert message.email_status == Message.EmailStatus.PENDING
    assert message.email_next_attempt_at is not None


def test_a_message_vanishes_when_the_callers_transaction_rolls_back(clerk):
    with pytest.raises(CallerFailed):
        _dispatch_and_notify(clerk, fail=True)

    clerk.refresh_from_db()
    assert clerk.first_name != "已派发"
    assert not Message.objects.exists()


def test_a_rolled_back_message_is_never_sent(clerk, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(CallerFailed):
        _dispatch_and_notify(clerk, fail=True)

    assert callbacks == []
    assert outbox.deliver_due() == {"sent": 0, "failed": 0}
    assert mailbox.received == []


def test_a_recipient_without_an_address_gets_only_the_inbox_entry(clerk, unit_user, officer):
    unit_user.email = ""
    unit_user.save(update_fields=["email"])

    messages = outbox.enqueue(
        [unit_user, officer], kind="urge", subject="催办", body="请尽快办理。"
    )

    by_user = {message.recipient_id: message for message in messages}
    assert by_user[unit_user.pk].email_status == Message.EmailStatus.NONE
    assert by_user[unit_user.pk].email_next_attempt_at is None
    assert by_user[officer.pk].email_status == Message.EmailStatus.PENDING


def test_email_false_writes_only_the_inbox_entry(clerk):
    [message] = outbox.enqueue([clerk], kind="urge", subject="催办", body="", email=False)
    assert message.email_status == Message.EmailStatus.NONE


def test_a_recipient_named_twice_gets_one_message(clerk):
    outbox.enqueue([clerk, clerk], kind="urge", subject="催办", body="")
    assert Message.objects.count() == 1
