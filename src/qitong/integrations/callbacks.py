"""Sending the 12345 callbacks: the outbox written by ``intake``, delivered in order.

``deliver_due`` (the periodic job ``deliver-callbacks``, and a Celery wake
after each commit in production) posts each due callback to its hotline's
callback URL, signed as the hotline signs its work orders (``signing``).
A 2xx answer marks it sent; anything else (refused connection, timeout, an
error status) schedules the next attempt after ``retry_delay`` — 30 s, 1, 2,
4 … minutes, at most an hour — and after ``settings.QITONG_CALLBACK_ATTEMPTS``
failures the callback is dead: it waits for a replay from the admin
(``actions.replay_callback``).

Order per appeal: a callback is due only when every earlier one of its appeal
(lower ``seq``) has been sent, so a dead one holds back its appeal's later
ones until it is replayed; other appeals go on. Each row is claimed by a
conditional UPDATE that moves its attempt time a lease ahead only if it still
holds the value read, so two workers never send the same callback at once.
"""

import json
import logging
from datetime import timedelta

import httpx
from django.conf import settings
from django.db.models import Exists, OuterRef

from qitong.core import clock
from qitong.integrations import signing
from qitong.integrations.models import Callback

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
LONGEST_RETRY = timedelta(hours=1)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def retry_delay(attempts):
    """The wait after the ``attempts``-th failure: the first retry delay, doubled each time."""
    first = timedelta(seconds=settings.QITONG_CALLBACK_FIRST_RETRY_SECONDS)
    return min(first * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def due(now):
    """The pending callbacks whose time has come and whose appeal has nothing earlier unsent."""
    earlier_unsent = Callback.objects.filter(
        integration_id=OuterRef("integration_id"),
        appeal_id=OuterRef("appeal_id"),
        seq__lt=OuterRef("seq"),
    ).exclude(status=Callback.Status.SENT)
    return (
        Callback.objects.filter(status=Callback.Status.PENDING, next_attempt_at__lte=now)
        .filter(~Exists(earlier_unsent))
        .order_by("next_attempt_at", "id")
    )


def deliver_due(now=None, limit=5000):
    """Send up to ``limit`` due callbacks; returns ``{"sent": n, "failed": n, "dead": n}``.

    After a batch, the callbacks its successes made due (the next of the same
    appeal) are read again, so an appeal's whole backlog goes in one run.
    """
    summary = {"sent": 0, "failed": 0, "dead": 0}
    tried = 0
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        while tried < limit:
            at = clock.now() if now is None else now
            batch = list(due(at).values_list("id", "next_attempt_at")[: min(100, limit - tried)])
            if not batch:
                break
            sent_before = summary["sent"]
            for callback_id, due_at in batch:
                tried += 1
                claimed = Callback.objects.filter(
                    pk=callback_id, status=Callback.Status.PENDING, next_attempt_at=due_at
                ).update(next_attempt_at=at + LEASE)
                if not claimed:
                    continue  # another worker has it
                callback = Callback.objects.select_related("integration", "appeal__work_order").get(
                    pk=callback_id
                )
                summary[_send(client, callback, at)] += 1
            if summary["sent"] == sent_before:
                break  # nothing new can have become due
    return summary


def body_of(callback):
    """The JSON posted: the change as recorded, with the work order and the appeal's number."""
    appeal = callback.appeal
    data = {
        "work_order_no": getattr(getattr(appeal, "work_order", None), "number", ""),
        "appeal_id": appeal.pk,
        "appeal_number": appeal.number,
        **callback.payload,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode()


def _send(client, callback, now):
    integration = callback.integration
    body = body_of(callback)
    error = None
    if not integration.active or not integration.callback_url:
        error = "integration inactive or without callback URL"
    else:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            **signing.headers(integration.secret, body, now=clock.now()),
        }
        try:
            answer = client.post(integration.callback_url, content=body, headers=headers)
            if not 200 <= answer.status_code < 300:
                error = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
    if error is None:
        Callback.objects.filter(pk=callback.pk).update(
            status=Callback.Status.SENT,
            attempts=callback.attempts + 1,
            sent_at=now,
            next_attempt_at=None,
            last_error="",
        )
        return "sent"
    attempts = callback.attempts + 1
    log.warning(
        "callback %s to %s failed (attempt %s): %s", callback.pk, integration, attempts, error
    )
    if attempts >= settings.QITONG_CALLBACK_ATTEMPTS:
        Callback.objects.filter(pk=callback.pk).update(
            status=Callback.Status.DEAD,
            attempts=attempts,
            next_attempt_at=None,
            last_error=error[:2000],
        )
        return "dead"
    Callback.objects.filter(pk=callback.pk).update(
        attempts=attempts, next_attempt_at=now + retry_delay(attempts), last_error=error[:2000]
    )
    return "failed"
