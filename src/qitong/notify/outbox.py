"""The transactional outbox: write notifications with the caller's change, send them later.

``enqueue`` is called by actions inside their transaction; ``deliver_due`` is the
periodic sweep (``qitong.notify.tasks.deliver_email``) that e-mails what is due.
Delivery is at-least-once and never drops a message: a failed send waits for
its next attempt, backing off up to an hour.
"""

import logging
import threading
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from qitong.core import clock
from qitong.core.bulk import insert_rows
from qitong.notify.models import Message

log = logging.getLogger(__name__)

# The Celery task that sends what is due (``qitong.notify.tasks.deliver_email``).
DELIVER_TASK = "qitong.notify.tasks.deliver_email"

# How long a claimed row is held by the worker sending it. A worker that dies
# mid-send leaves the row to be picked up again once the lease has run out.
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# A process wakes the delivery at most once in this long, and one more time, delayed
# (``_wake_delivery``): each wake sends up to ``deliver_due``'s hundred messages.
WAKE_EVERY = timedelta(milliseconds=250)


def enqueue(recipients, *, kind, subject, body, url="", email=True):
    """Write one message per recipient in the current transaction; returns them.

    The rows commit or roll back with the caller's work. A message is queued for
    e-mail only when ``email`` is asked for and the recipient has an address;
    the inbox entry is written either way. After commit, production wakes a
    Celery worker (at once, or within ``WAKE_EVERY`` when the process has just
    woken one); the embedded scheduler finds the rows within a minute.
    """
    now = clock.now()
    messages = []
    for user in _unique(recipients):
        status, next_attempt = _delivery(user, email, now)
        messages.append(
            Message(
                recipient=user,
                kind=kind,
                subject=subject,
                body=body,
                url=url,
                created_at=now,
                email_status=status,
                email_next_attempt_at=next_attempt,
            )
        )
    created = Message.objects.bulk_create(messages)
    if any(message.email_status == Message.EmailStatus.PENDING for message in created):
        # robust: a broker that is down must not fail the caller's committed
        # request; the periodic job sends the rows anyway.
        transaction.on_commit(_wake_delivery, robust=True)
    return created


def enqueue_select(users, *, kind, subject, body, url="", email=True):
    """``enqueue`` to the users a queryset selects, in one statement; returns the messages' ids.

    ``INSERT … SELECT … RETURNING``: the recipients are never read into Python,
    which saves a query and the model instances of both (a filing's messages to
    its office). Each user the queryset gives gets one message, its delivery
    decided by ``_delivery``'s rule in SQL (``_select_insert``).
    """
    connection = transaction.get_connection()
    selected = users.order_by().values_list("id", "email").distinct()
    users_sql, users_params = selected.query.sql_with_params()
    sql, defaults = _select_insert(connection, users_sql)
    now = Message._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
    params = [kind, subject, body, url, now, now, *defaults, bool(email), *users_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if any(status == Message.EmailStatus.PENDING for _pk, status in rows):
        transaction.on_commit(_wake_delivery, robust=True)
    return [pk for pk, _status in rows]


def enqueue_many(letters, *, kind, email=True):
    """``enqueue`` for many letters at once, one insert for all; returns how many messages.

    ``letters`` are ``(recipients, subject, body, url)``: the sweep's batch of
    urges, each case with its own subject, written with the batch's other rows
    (plain rows, ``core.bulk.insert_rows``: thousands at a time, nothing read back).
    """
    now = clock.now()
    rows, wake = [], False
    for recipients, subject, body, url in letters:
        for user in _unique(recipients):
            status, next_attempt = _delivery(user, email, now)
            wake = wake or status == Message.EmailStatus.PENDING
            rows.append((user.pk, kind, subject, body, url, now, status, next_attempt))
    count = insert_rows(
        Message,
        (
            "recipient",
            "kind",
            "subject",
            "body",
            "url",
            "created_at",
            "email_status",
            "email_next_attempt_at",
        ),
        rows,
    )
    if wake:
        transaction.on_commit(_wake_delivery, robust=True)
    return count


def _unique(recipients):
    """Each recipient once, however often named."""
    return {user.pk: user for user in recipients}.values()


def _delivery(user, email, now):
    """``(email_status, email_next_attempt_at)`` of a new message to ``user``.

    Sent by e-mail at once when asked for and the user has an address; the
    inbox entry alone otherwise. ``_select_insert`` says the same in SQL (its
    ``pending``), for ``enqueue_select``; keep the two together.
    """
    if email and user.email:
        return Message.EmailStatus.PENDING, now
    return Message.EmailStatus.NONE, None


# ``_select_insert``'s statement and defaults, built once per database vendor.
_SELECT_INSERTS = {}


def _select_insert(connection, users_sql):
    """``enqueue_select``'s statement around the users' query ``users_sql``.

    Its parameters: kind, subject, body, url, the instant (twice), the other
    columns' defaults, the ``email`` flag, then the users' query's own.
    """
    cache = _SELECT_INSERTS
    if connection.vendor not in cache:
        meta = Message._meta
        given = ("recipient", "kind", "subject", "body", "url", "created_at")
        given += ("email_status", "email_next_attempt_at")
        rest = [f for f in meta.concrete_fields if f.name not in given and not f.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*map(meta.get_field, given), *rest])
        pending, none = Message.EmailStatus.PENDING.value, Message.EmailStatus.NONE.value
        head = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            "SELECT recipient.id, %s, %s, %s, %s, %s, "
            f"CASE WHEN recipient.pending THEN '{pending}' ELSE '{none}' END, "
            "CASE WHEN recipient.pending THEN %s END"
            + "".join(", %s" for _field in rest)
            # _delivery's rule: asked for, and the user has an address
            + " FROM (SELECT selected.id, (%s AND selected.email <> '') AS pending FROM ({}) selected)"
            " recipient RETURNING id, email_status"
        )
        defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
        cache[connection.vendor] = head, defaults
    head, defaults = cache[connection.vendor]
    return head.replace("{}", users_sql, 1), defaults


# The wakes this process has sent (``_wake_delivery``): the instant from which
# the next may go at once, and the instant the latest delayed one is due.
_wakes = {"next": None, "delayed": None}
_wakes_lock = threading.Lock()


def _wake_delivery():
    """Wake a Celery worker to send what just committed: at once, or within ``WAKE_EVERY``.

    A process sends one wake at once, then none for ``WAKE_EVERY`` but a
    single delayed one, due when that time is up, which sends whatever
    committed meanwhile (the wake sent at once may have run before this
    commit). Under a hundred filings a second that is at most eight wakes a
    second instead of a hundred, each a publish to Redis here and a task
    there, which still send up to 800 messages a second; a message waits at
    most ``WAKE_EVERY`` longer, and the periodic job stays the net.
    """
    if settings.EMBEDDED:
        return
    now = clock.now()
    with _wakes_lock:
        due = _wakes["next"]
        if due is None or not due - WAKE_EVERY <= now < due:  # (or the clock went back)
            _wakes["next"], countdown = now + WAKE_EVERY, None
        elif _wakes["delayed"] == due:
            return  # the delayed wake is due after this commit: it sends this message too
        else:
            _wakes["delayed"], countdown = due, (due - now).total_seconds()
    # By name (the task module imports this one), through a signature: a web
    # process never imports the task module, so the task is not in its registry
    # and the signature sends the message by name; where it is registered (a
    # worker, the tests) it goes through the task. Nobody reads the wake's
    # result: without ignore_result every wake would also subscribe to a result
    # channel in Redis.
    current_app.signature(DELIVER_TASK).apply_async(countdown=countdown, ignore_result=True)


def deliver_due(now=None, limit=100):
    """E-mail up to ``limit`` pending messages whose attempt time has come.

    Returns ``{"sent": n, "failed": n}``. Each candidate is claimed by a
    conditional UPDATE that moves its attempt time a lease ahead only if it
    still holds the value read, so of two workers racing for one row exactly
    one wins, on SQLite and PostgreSQL alike.
    """
    now = clock.now() if now is None else now
    candidates = list(
        Message.objects.filter(
            email_status=Message.EmailStatus.PENDING, email_next_attempt_at__lte=now
        )
        .order_by("email_next_attempt_at", "id")
        .values_list("id", "email_next_attempt_at")[:limit]
    )
    summary = {"sent": 0, "failed": 0}
    for message_id, due_at in candidates:
        claimed = Message.objects.filter(
            pk=message_id,
            email_status=Message.EmailStatus.PENDING,
            email_next_attempt_at=due_at,
        ).update(email_next_attempt_at=now + LEASE)
        if not claimed:
            continue  # another worker has it
        message = Message.objects.select_related("recipient").get(pk=message_id)
        outcome = _send(message, now)
        if outcome:
            summary[outcome] += 1
    return summary


def _send(message, now):
    """Send one claimed message; on failure schedule its next attempt.

    Returns "sent", "failed", or None when there is nothing to send any more.
    """
    address = message.recipient.email
    if not address:
        # The address was removed after the message was queued: inbox only.
        Message.objects.filter(pk=message.pk).update(
            email_status=Message.EmailStatus.NONE, email_next_attempt_at=None
        )
        return None
    try:
        send_mail(
            message.subject,
            _email_text(message),
            settings.DEFAULT_FROM_EMAIL,
            [address],
            fail_silently=False,
        )
    except OSError as error:  # smtplib.SMTPException and socket errors alike
        attempts = message.email_attempts + 1
        log.warning("e-mail of message %s failed (attempt %s): %s", message.pk, attempts, error)
        Message.objects.filter(pk=message.pk).update(
            email_attempts=attempts,
            email_last_error=f"{type(error).__name__}: {error}"[:2000],
            email_next_attempt_at=now + retry_delay(attempts),
        )
        return "failed"
    Message.objects.filter(pk=message.pk).update(
        email_status=Message.EmailStatus.SENT,
        email_attempts=message.email_attempts + 1,
        email_sent_at=now,
        email_next_attempt_at=None,
        email_last_error="",
    )
    return "sent"


def retry_delay(attempts):
    """The wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 10), LONGEST_RETRY)


def _email_text(message):
    return f"{message.body}\n\n{message.url}" if message.url else message.body


def mark_read(message, *, now=None):
    """Mark a message read; reading it again keeps the first time."""
    now = clock.now() if now is None else now
    if Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now):
        message.read_at = now
    return message
