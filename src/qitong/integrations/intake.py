"""What this app writes in the transaction of an appeal's change: how it hooks into ``appeals``.

``appeals`` knows nothing of integrations. Every event of its timeline is
saved through ``appeals.events.record`` (``Event.objects.create``), inside
the transaction of the action that makes the change, and Django sends
``post_save`` for it there; ``on_event_saved`` (connected in ``apps.py``)
writes this app's rows in that same transaction:

- a filing started here (``filing``: a 12345 work order, an Open311 request)
  gets its ``WorkOrder`` or ``ServiceRequest`` with the appeal, so the two
  commit or roll back together, also when a concurrent retry loses the race
  for the external id;
- every forwarded change of a hotline appeal gets its ``Callback`` row, the
  outbox that ``callbacks.deliver_due`` sends from. Since the row commits
  with the change, no change is lost (a periodic reader of new events could
  skip one whose transaction commits after a later one's); since the action
  holds the appeal's row lock, the callbacks of one appeal are numbered
  (``seq``) in the order their changes commit.

The sweep's batch events (supervise, urge, escalate: ``events.insert``) are
plain inserts without ``post_save``; they change no state and are not told.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction

from qitong.appeals.models import Appeal, Event
from qitong.core import clock
from qitong.core.wakes import Waker
from qitong.integrations.models import Callback, Integration, ServiceRequest, WorkOrder

K = Event.Kind

# The timeline events a hotline hears of: every change of status, and the milestones
# and decisions that move its deadlines (first contact, answer, extension, suspension).
FORWARDED = (
    K.SUBMIT,
    K.ACCEPT,
    K.REJECT,
    K.DISPATCH,
    K.SIGN,
    K.RETURN,
    K.CONTACT,
    K.REPLY,
    K.APPROVE_EXTENSION,
    K.APPROVE_SUSPENSION,
    K.RESUME,
    K.RESOLVE,
    K.APPROVE,
    K.REDO,
    K.RATE,
    K.ARCHIVE,
)


@dataclass
class Filing:
    """The filing this thread is making for an integration: what its submit event brings along."""

    integration: Integration
    external_id: str
    work_order: dict = field(default=None)  # WorkOrder's fields, for a 12345 work order
    service_request: ServiceRequest = None  # for an Open311 request


_current = contextvars.ContextVar("integrations_filing", default=None)


@contextmanager
def filing(current):
    """Mark the ``file_appeal`` call inside as ``current``'s filing."""
    token = _current.set(current)
    try:
        yield
    finally:
        _current.reset(token)


def on_event_saved(sender, instance, created, raw=False, **kwargs):
    """``post_save`` of ``appeals.Event``: the rows this app keeps with the change."""
    if raw or not created:
        return
    appeal = instance.appeal
    current = _current.get()
    if instance.action == K.SUBMIT and current and current.external_id == appeal.external_id:
        if current.service_request is not None:
            request = current.service_request
            request.appeal, request.state = appeal, ServiceRequest.State.FILED
            request.save()
        if current.work_order is not None:
            WorkOrder.objects.create(
                integration=current.integration, appeal=appeal, **current.work_order
            )
            _queue_callback(current.integration, appeal, instance, seq=1)
        return
    if appeal.channel != Appeal.Channel.HOTLINE or instance.action not in FORWARDED:
        return
    found = (
        WorkOrder.objects.filter(appeal_id=appeal.pk)
        .select_related("integration")
        .only("integration", "number")
        .first()
    )
    if found is None:
        return  # filed as hotline by hand, not by a hotline: nobody to tell
    last = (
        Callback.objects.filter(integration=found.integration, appeal_id=appeal.pk)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    _queue_callback(found.integration, appeal, instance, seq=(last or 0) + 1)


def _queue_callback(integration, appeal, event, *, seq):
    if not integration.callback_url:
        return
    now = clock.now()
    Callback.objects.create(
        integration=integration,
        appeal=appeal,
        seq=seq,
        event=event,
        payload={
            "seq": seq,
            "event": event.action,
            "event_label": str(K(event.action).label),
            "status": appeal.status,
            "status_label": str(Appeal.Status(appeal.status).label),
            "at": clock.local(event.at).isoformat(),
            "note": event.note,
        },
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(_wake, robust=True)


# Production wakes a worker to send what just committed, as the notify outbox does: at
# most once at once and once delayed per WAKE_EVERY and process (``core.wakes``).
WAKE_EVERY = timedelta(milliseconds=250)
_wake = Waker("qitong.integrations.tasks.deliver_callbacks", WAKE_EVERY)
