"""E-mail delivery from the outbox through a real SMTP server on loopback."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction

from qitong.celery import app as celery_app
from qitong.core.schedule import JOBS
from qitong.core.scheduler import Scheduler
from qitong.notify import outbox
from qitong.notify.models import Message

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def _notify(user, subject="诉求 QT-2025-000001 已派发至贵单位"):
    [message] = outbox.enqueue(
        [user], kind="dispatch", subject=subject, body="请在 1 个工作日内签收。", url="/appeals/1/"
    )
    return message


def test_delivery_sends_the_message_and_marks_it_sent(clerk, mailbox):
    message = _notify(clerk)

    assert outbox.deliver_due() == {"sent": 1, "failed": 0}

    [received] = mailbox.received
    assert received["to"] == ["clerk@fgw.example.org"]
    assert received["from"] == "qitong@example.org"
    assert received["subject"] == "诉求 QT-2025-000001 已派发至贵单位"
    assert "请在 1 个工作日内签收。" in received["body"]
    message.refresh_from_db()
    assert message.email_status == Message.EmailStatus.SENT
    assert message.email_sent_at is not None
    assert message.email_next_attempt_at is None


def test_running_delivery_twice_sends_once(clerk, mailbox):
    _notify(clerk)

    assert outbox.deliver_due() == {"sent": 1, "failed": 0}
    assert outbox.deliver_due() == {"sent": 0, "failed": 0}
    assert len(mailbox.received) == 1


def test_two_workers_racing_for_one_message_send_it_once(clerk, mailbox):
    _notify(clerk)
    second_worker = {}

    def run_second_worker_before_first_claim(execute, sql, params, many, context):
        # The first worker has read the row as due; before its claim runs, a
        # second worker reads, claims and sends the same row.
        if sql.lstrip().upper().startswith("UPDATE") and not second_worker:
            second_worker["summary"] = None  # runs once: its own queries pass here too
            second_worker["summary"] = outbox.deliver_due()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(run_second_worker_before_first_claim):
        first_worker = outbox.deliver_due()

    assert second_worker["summary"] == {"sent": 1, "failed": 0}
    assert first_worker == {"sent": 0, "failed": 0}
    assert len(mailbox.received) == 1


def test_a_server_that_is_down_leaves_the_message_pending_for_a_later_attempt(clerk, smtp_port):
    with time_machine.travel(START, tick=False):
        message = _notify(clerk)

        assert outbox.deliver_due() == {"sent": 0, "failed": 1}

    message.refresh_from_db()
    assert message.email_status == Message.EmailStatus.PENDING
    assert message.email_attempts == 1
    assert message.email_next_attempt_at == START + dt.timedelta(minutes=1)
    assert message.email_last_error


def test_the_message_is_delivered_once_the_server_is_up_and_the_backoff_has_passed(
    clerk, smtp_server
):
    with time_machine.travel(START, tick=False) as traveller:
        message = _notify(clerk)
        assert outbox.deliver_due() == {"sent": 0, "failed": 1}

        smtp_server.start()
        traveller.shift(dt.timedelta(seconds=30))
        assert outbox.deliver_due() == {"sent": 0, "failed": 0}  # still backing off
        assert smtp_server.mailbox.received == []

        traveller.shift(dt.timedelta(seconds=31))
        assert outbox.deliver_due() == {"sent": 1, "failed": 0}

    assert smtp_server.mailbox.subjects == ["诉求 QT-2025-000001 已派发至贵单位"]
    message.refresh_from_db()
    assert message.email_status == Message.EmailStatus.SENT
    assert message.email_attempts == 2
    assert message.email_sent_at == START + dt.timedelta(seconds=61)


def test_repeated_failures_back_off_up_to_an_hour_and_never_drop_the_message(clerk, smtp_port):
    delays = []
    with time_machine.travel(START, tick=False) as traveller:
        message = _notify(clerk)
        failed_at = START
        for _attempt in range(9):
            assert outbox.deliver_due() == {"sent": 0, "failed": 1}
            message.refresh_from_db()
            delays.append((message.email_next_attempt_at - failed_at) / dt.timedelta(minutes=1))
            failed_at = message.email_next_attempt_at
            traveller.move_to(failed_at)

    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert message.email_status == Message.EmailStatus.PENDING
    assert message.email_attempts == 9


def test_a_lease_holds_a_claimed_message_back_from_other_workers(clerk, mailbox):
    with time_machine.travel(START, tick=False) as traveller:
        message = _notify(clerk)
        # As a worker that claimed the row and died before sending leaves it.
        Message.objects.filter(pk=message.pk).update(email_next_attempt_at=START + outbox.LEASE)
        assert outbox.deliver_due() == {"sent": 0, "failed": 0}

        traveller.move_to(START + outbox.LEASE)
        assert outbox.deliver_due() == {"sent": 1, "failed": 0}
    assert len(mailbox.received) == 1


def test_the_embedded_scheduler_delivers_pending_mail(clerk, mailbox):
    _notify(clerk)
    [job] = [job for job in JOBS if job.name == "deliver-email"]

    assert Scheduler([job], clock=lambda: 0).run_due() == ["deliver-email"]

    assert len(mailbox.received) == 1


def test_in_production_the_commit_wakes_a_celery_worker(
    clerk, mailbox, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMBEDDED = False
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(clerk)
        assert mailbox.received == []

    assert len(mailbox.received) == 1
    assert Message.objects.get().email_status == Message.EmailStatus.SENT


def test_in_embedded_mode_the_commit_leaves_delivery_to_the_scheduler(
    clerk, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.EMBEDDED = True
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _notify(clerk)

    assert mailbox.received == []
    assert Message.objects.get().email_status == Message.EmailStatus.PENDING
