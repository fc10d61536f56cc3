"""The transactional outbox: write notifications with the caller's change, send them later.

``enqueue`` is called by actions inside their transaction; ``deliver_due`` is the
periodic sweep (``qitong.notify.tasks.deliver_email``) that e-mails what is due,
then sends the SMS and WeCom copies (``channels.deliver_due``). Delivery is
at-least-once and never drops an e-mail: a failed send waits for its next
attempt, backing off up to an hour; each channel of a message is retried on its
own, so a failed SMS never sends the e-mail again.

Which channels a message takes is decided when it is written, in ``_plan`` (and
in SQL by ``_select_insert``, kept together): the caller's ``email`` flag asks
for pushes at all (e-mail, SMS, WeCom); the recipient's ``ChannelChoice`` for the
message's kind (else their row for every kind, else ``ChannelChoice.DEFAULTS``)
picks among inbox, e-mail, SMS and WeCom; a channel needs somewhere to go (an
address, a mobile number, a robot of the user's unit, an SMS gateway). Urges and
digests (``OFFICE_HOURS_KINDS``) are pushed only in office hours: written at
once, their pushes are due at the next office-hours opening (``push_due``).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from qitong.core import clock
from qitong.core.bulk import insert_rows
from qitong.core.wakes import Waker
from qitong.notify import channels
from qitong.notify.models import ChannelChoice, Message, Robot
from qitong.notify.timing import LEASE, push_due, retry_at, retry_delay  # noqa: F401

log = logging.getLogger(__name__)

# The Celery task that sends what is due (``qitong.notify.tasks.deliver_email``).
DELIVER_TASK = "qitong.notify.tasks.deliver_email"

# A process wakes the delivery at most once in this long, and one more time, delayed
# (``_wake_delivery``): each wake sends up to ``deliver_due``'s hundred messages.
WAKE_EVERY = timedelta(milliseconds=250)


def enqueue(recipients, *, kind, subject, body, url="", email=True):
    """Write one message per recipient in the current transaction; returns them.

    The rows commit or roll back with the caller's work. A message is pushed (e-mail,
    SMS, WeCom) only when ``email`` is asked for, as the recipient chose and where
    they can be reached (``_Planner``); the row is written either way. After commit, production wakes a
    Celery worker (at once, or within ``WAKE_EVERY`` when the process has just
    woken one); the embedded scheduler finds the rows within a minute.
    """
    now = clock.now()
    users = list(_unique(recipients))
    plan = _Planner(users, kind, email, now)
    messages = [
        Message(
            recipient=user,
            kind=kind,
            subject=subject,
            body=body,
            url=url,
            created_at=now,
            **plan.columns(user),
        )
        for user in users
    ]
    created = Message.objects.bulk_create(messages)
    if any(_pending(message) for message in created):
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
    selected = users.order_by().values_list("id", "email", "phone", "unit_id").distinct()
    users_sql, users_params = selected.query.sql_with_params()
    sql, defaults = _select_insert(connection, users_sql)
    field = Message._meta.get_field("created_at")
    at = clock.now()
    now = field.get_db_prep_save(at, connection)
    due = field.get_db_prep_save(push_due(kind, at), connection)
    push = bool(email)
    given = ChannelChoice.DEFAULTS
    params = [kind, subject, body, url, now, due, due, due, *defaults]
    params += [given["inbox"], push, given["email"], push and sms_enabled(), given["sms"]]
    params += [push, given["wecom"], *users_params, kind]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if any(Message.EmailStatus.PENDING in statuses for _pk, *statuses in rows):
        transaction.on_commit(_wake_delivery, robust=True)
    return [pk for pk, *_statuses in rows]


def enqueue_many(letters, *, kind, email=True):
    """``enqueue`` for many letters at once, one insert for all; returns how many messages.

    ``letters`` are ``(recipients, subject, body, url)``: the sweep's batch of
    urges, each case with its own subject, written with the batch's other rows
    (plain rows, ``core.bulk.insert_rows``: thousands at a time, nothing read back).
    """
    now = clock.now()
    letters = [(list(_unique(recipients)), *rest) for recipients, *rest in letters]
    plan = _Planner([user for users, *_rest in letters for user in users], kind, email, now)
    rows, wake = [], False
    for users, subject, body, url in letters:
        for user in users:
            columns = plan.columns(user)
            wake = wake or _pending(Message(**columns))
            rows.append((user.pk, kind, subject, body, url, now, *columns.values()))
    count = insert_rows(
        Message,
        ("recipient", "kind", "subject", "body", "url", "created_at", *_Planner.COLUMNS),
        rows,
    )
    if wake:
        transaction.on_commit(_wake_delivery, robust=True)
    return count


def _unique(recipients):
    """Each recipient once, however often named."""
    return {user.pk: user for user in recipients}.values()


def _pending(message):
    """Whether a new message has a push to send."""
    return (
        message.email_status == Message.EmailStatus.PENDING
        or message.sms_status == Message.PushStatus.PENDING
        or message.wecom_status == Message.PushStatus.PENDING
    )


def sms_enabled():
    """SMS is sent only where a gateway is configured."""
    return bool(settings.QITONG_SMS_URL)


class _Planner:
    """Where each new message to ``users`` goes (``_select_insert`` says the same in SQL).

    Reads the users' choices for ``kind`` in one query, and whether their units
    have a robot only when one of them chose WeCom.
    """

    COLUMNS = (
        "in_inbox",
        "email_status",
        "email_next_attempt_at",
        "sms_status",
        "sms_next_attempt_at",
        "wecom_status",
        "wecom_next_attempt_at",
    )

    def __init__(self, users, kind, push, now):
        self.push = bool(push)
        self.due = push_due(kind, now) if self.push else now
        self.choices = {}
        ids = {user.pk for user in users}
        if ids:
            rows = ChannelChoice.objects.filter(user_id__in=ids, kind__in=[kind, ""])
            for row in rows.order_by("kind"):  # "" first: the kind's own row wins
                self.choices[row.user_id] = {name: getattr(row, name) for name in row.DEFAULTS}
        # A caller may name users by (pk, email) alone (``policies.matching.Recipient``):
        # the number and unit of those who chose SMS or WeCom are read.
        self.reach = {
            user.pk: (user.phone, user.unit_id) for user in users if hasattr(user, "unit_id")
        }
        missing = [
            pk
            for pk, choice in self.choices.items()
            if pk not in self.reach and (choice["sms"] or choice["wecom"])
        ]
        if missing and self.push:
            rows = get_user_model().objects.filter(pk__in=missing)
            self.reach.update(
                (pk, (phone, unit))
                for pk, phone, unit in rows.values_list("pk", "phone", "unit_id")
            )
        units = {
            self.reach.get(user.pk, ("", None))[1]
            for user in users
            if self.choices.get(user.pk, ChannelChoice.DEFAULTS)["wecom"]
        } - {None}
        self.robots = (
            set(Robot.objects.filter(unit_id__in=units).values_list("unit_id", flat=True))
            if units and self.push
            else set()
        )
        self.sms = self.push and sms_enabled()

    def columns(self, user):
        choice = self.choices.get(user.pk, ChannelChoice.DEFAULTS)
        email = self.push and choice["email"] and bool(user.email)
        phone, unit = self.reach.get(user.pk, ("", None))
        sms = self.sms and choice["sms"] and bool(phone)
        wecom = self.push and choice["wecom"] and unit in self.robots
        pending, none = Message.PushStatus.PENDING, Message.PushStatus.NONE
        return {
            "in_inbox": choice["inbox"],
            "email_status": Message.EmailStatus.PENDING if email else Message.EmailStatus.NONE,
            "email_next_attempt_at": self.due if email else None,
            "sms_status": pending if sms else none,
            "sms_next_attempt_at": self.due if sms else None,
            "wecom_status": pending if wecom else none,
            "wecom_next_attempt_at": self.due if wecom else None,
        }


# ``_select_insert``'s statements and defaults, built once per database vendor and form.
_SELECT_INSERTS = {}

# What ``enqueue_rows``'s query gives for each message, after the recipient's columns.
LETTER_COLUMNS = ("subject", "body", "url", "created_at")


def enqueue_rows(rows_sql, rows_params, *, kind, email=True):
    """``enqueue`` of messages that a query words, one statement; returns how many were written.

    ``rows_sql`` selects one row per message: the recipient's ``id``, ``email``, ``phone``
    and ``unit_id``, then its ``subject``, ``body``, ``url`` and ``created_at`` (each message
    its own words: an enterprise's news of one run). As ``enqueue_select``, the rows never
    come through Python and each one's channels follow ``_delivery``'s rule in SQL
    (``_select_insert``). Nothing is read back: when pushes are asked for, the delivery is
    woken after commit whether or not a row has one to send.
    """
    connection = transaction.get_connection()
    sql, defaults = _select_insert(connection, rows_sql, letters=True)
    field = Message._meta.get_field("created_at")
    due = field.get_db_prep_save(push_due(kind, clock.now()), connection)
    push = bool(email)
    given = ChannelChoice.DEFAULTS
    params = [kind, due, due, due, *defaults]
    params += [given["inbox"], push, given["email"], push and sms_enabled(), given["sms"]]
    params += [push, given["wecom"], *rows_params, kind]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = cursor.rowcount
    if push and count:
        transaction.on_commit(_wake_delivery, robust=True)
    return count


def _select_insert(connection, users_sql, *, letters=False):
    """``enqueue_select``'s statement around the users' query ``users_sql`` (id, email,
    phone, unit).

    Its parameters: kind, subject, body, url, the instant, the pushes' due instant
    (three times), the other columns' defaults; then ``_Planner``'s rule: the inbox
    default, the push flag and the e-mail default, the SMS flag and default, the push
    flag and the WeCom default; then the users' query's own, and the kind again.
    With ``letters`` (``enqueue_rows``) the query also gives each message's
    ``LETTER_COLUMNS``, which are then no parameters, and nothing is returned.
    """
    cache = _SELECT_INSERTS
    key = (connection.vendor, letters)
    if key not in cache:
        meta = Message._meta
        given = ("recipient", "kind", "subject", "body", "url", "created_at", *_Planner.COLUMNS)
        rest = [f for f in meta.concrete_fields if f.name not in given and not f.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*map(meta.get_field, given), *rest])
        pending, none = Message.EmailStatus.PENDING.value, Message.EmailStatus.NONE.value
        choices = quote(ChannelChoice._meta.db_table)
        robots = quote(Robot._meta.db_table)

        def push(name):
            return (
                f", CASE WHEN recipient.{name} THEN '{pending}' ELSE '{none}' END"
                f", CASE WHEN recipient.{name} THEN %s END"
            )

        def chosen(name):
            return f"COALESCE(own.{quote(name)}, every.{quote(name)}, %s)"

        words = (
            ", ".join(f"recipient.{name}" for name in LETTER_COLUMNS)
            if letters
            else ", ".join("%s" for _name in LETTER_COLUMNS)
        )
        passed = "".join(f"selected.{name}, " for name in LETTER_COLUMNS) if letters else ""
        head = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"SELECT recipient.id, %s, {words}, recipient.inbox"
            + push("email_on")
            + push("sms_on")
            + push("wecom_on")
            + "".join(", %s" for _field in rest)
            # _Planner's rule: asked for, chosen, and somewhere to send it
            + f" FROM (SELECT selected.id, {passed}{chosen('inbox')} AS inbox, "
            f"(%s AND selected.email <> '' AND {chosen('email')}) AS email_on, "
            f"(%s AND selected.phone <> '' AND {chosen('sms')}) AS sms_on, "
            f"(%s AND robot.id IS NOT NULL AND {chosen('wecom')}) AS wecom_on "
            "FROM ({}) selected "
            f"LEFT JOIN {choices} own ON own.user_id = selected.id AND own.kind = %s "
            f"LEFT JOIN {choices} every ON every.user_id = selected.id AND every.kind = '' "
            f"LEFT JOIN {robots} robot ON robot.unit_id = selected.unit_id"
            ") recipient"
            + ("" if letters else " RETURNING id, email_status, sms_status, wecom_status")
        )
        defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
        cache[key] = head, defaults
    head, defaults = cache[key]
    return head.replace("{}", users_sql, 1), defaults


# Wakes a worker after each commit that queued messages, at most twice per WAKE_EVERY.
_wake_delivery = Waker(DELIVER_TASK, WAKE_EVERY)


def deliver_due(now=None, limit=100):
    """E-mail up to ``limit`` pending messages whose attempt time has come, then send up to
    ``limit`` SMS and WeCom copies each (``channels.deliver_due``).

    Returns ``{"sent": n, "failed": n}``, all channels together. Each candidate is claimed by a
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
    for outcome, count in channels.deliver_due(now, limit).items():
        summary[outcome] += count
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
            email_next_attempt_at=retry_at(message.kind, now, attempts),
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


def _email_text(message):
    return f"{message.body}\n\n{message.url}" if message.url else message.body


def mark_read(message, *, now=None):
    """Mark a message read; reading it again keeps the first time."""
    now = clock.now() if now is None else now
    if Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now):
        message.read_at = now
    return message
