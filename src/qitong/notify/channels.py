"""The SMS and WeCom copies of the outbox's messages: the gateways' adapters and their delivery.

A message's SMS and WeCom copies are columns of its row, like its e-mail
(``Message.sms_*``, ``Message.wecom_*``), decided when it is written
(``outbox._Planner``) and sent by ``deliver_due``, which the outbox's delivery job
calls after the e-mails. Each copy is claimed, sent and retried on its own: a
failed SMS waits for its next attempt (1, 2, 4 … minutes, at most an hour; for
urges and digests not before office hours) without the e-mail or the WeCom copy
being sent again. A copy refused for good (the gateway says the request is
wrong, 4xx; a robot's address no longer allowed) or failing ``MAX_ATTEMPTS``
times is given up (``failed``), so it does not hold back those after it.

Order: a user's copies on one channel go out in the order they were written. A
copy is a candidate only when no earlier copy to the same user on that channel
is still pending, so when the gateway comes back after an outage, the oldest
goes first and the rest follow it.

SMS: a JSON POST to ``QITONG_SMS_URL`` naming the provider's template for the
message's kind (``QITONG_SMS_TEMPLATES``, else its ``default``) and its
parameters (the subject, shortened, and the link), signed with HMAC-SHA256 over
``timestamp + "\n" + nonce + "\n" + body`` with ``QITONG_SMS_SECRET``; the
provider may deduplicate a retried request by its ``request_id``.

WeCom: the group robot of the recipient's unit (``Robot``), a markdown message
as WeCom's robot API has it (``{"msgtype": "markdown", "markdown": {"content"}}``,
at most 4,096 bytes). One message written to several people of one unit at
once is posted to their group once, naming them, and counts as sent for all.
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.notify.checks import sms_templates
from qitong.notify.models import Message, Robot, validate_robot_url
from qitong.notify.timing import LEASE, retry_at

log = logging.getLogger(__name__)

CHANNELS = ("sms", "wecom")
# Attempts before a copy is given up (about eight hours with the backoff).
MAX_ATTEMPTS = 12
TIMEOUT = 10  # seconds, per request
SMS_SUBJECT_MAX = 30  # characters of the subject in the template's parameter
WECOM_MAX_BYTES = 4096
# WeCom robot answers that a later attempt may cure: system busy, rate limit (20 a minute).
WECOM_RETRY_CODES = {-1, 45009}
PENDING = Message.PushStatus.PENDING


class Refused(Exception):
    """The gateway refused the message for good: sending it again cannot help."""


class Unavailable(Exception):
    """The gateway could not take the message now: it is tried again later."""


def deliver_due(now=None, limit=100):
    """Send up to ``limit`` due copies per channel; returns ``{"sent": n, "failed": n}``."""
    now = clock.now() if now is None else now
    summary = {"sent": 0, "failed": 0}
    for channel in CHANNELS:
        _deliver(channel, now, limit, summary)
    return summary


def _deliver(channel, now, limit, summary):
    status, due = f"{channel}_status", f"{channel}_next_attempt_at"
    earlier = Message.objects.filter(
        recipient=OuterRef("recipient"), pk__lt=OuterRef("pk"), **{status: PENDING}
    )
    tried = 0
    while tried < limit:
        candidates = list(
            Message.objects.filter(**{status: PENDING, f"{due}__lte": now})
            .exclude(Exists(earlier))
            .order_by(due, "id")
            .values_list("id", due)[: limit - tried]
        )
        sent_any = False
        for message_id, due_at in candidates:
            claimed = Message.objects.filter(
                pk=message_id, **{status: PENDING, due: due_at}
            ).update(**{due: now + LEASE})
            if not claimed:
                continue  # another worker has it
            tried += 1
            message = Message.objects.select_related("recipient").get(pk=message_id)
            outcome = _send(channel, message, now)
            if outcome:
                summary[outcome] += 1
                sent_any = sent_any or outcome == "sent"
        if not sent_any:
            return  # nothing more became due: those after a failed copy wait for it


def _send(channel, message, now):
    """Send one claimed copy; returns "sent", "failed", or None when there is nowhere to send
    it any more (the number or the robot was removed)."""
    prefix = channel
    try:
        covered = (_send_sms if channel == "sms" else _send_wecom)(message)
    except Refused as error:
        log.warning("%s of message %s refused: %s", channel, message.pk, error)
        _update(message, prefix, status=Message.PushStatus.FAILED, error=error, attempt=True)
        return "failed"
    except Unavailable as error:
        attempts = getattr(message, f"{prefix}_attempts") + 1
        log.warning(
            "%s of message %s failed (attempt %s): %s", channel, message.pk, attempts, error
        )
        if attempts >= MAX_ATTEMPTS:
            _update(message, prefix, status=Message.PushStatus.FAILED, error=error, attempt=True)
        else:
            _update(
                message,
                prefix,
                error=error,
                attempt=True,
                next_at=retry_at(message.kind, now, attempts),
            )
        return "failed"
    if covered is None:
        _update(message, prefix, status=Message.PushStatus.NONE)
        return None
    _update(message, prefix, status=Message.PushStatus.SENT, attempt=True, sent_at=now)
    if covered:  # the same WeCom post told the others of the unit
        Message.objects.filter(pk__in=covered, **{f"{prefix}_status": PENDING}).update(
            **{
                f"{prefix}_status": Message.PushStatus.SENT,
                f"{prefix}_sent_at": now,
                f"{prefix}_next_attempt_at": None,
            }
        )
    return "sent"


def _update(message, prefix, *, status=None, error=None, attempt=False, next_at=None, sent_at=None):
    values = {f"{prefix}_next_attempt_at": next_at}
    if status is not None:
        values[f"{prefix}_status"] = status
    if attempt:
        values[f"{prefix}_attempts"] = getattr(message, f"{prefix}_attempts") + 1
    if error is not None:
        values[f"{prefix}_last_error"] = f"{type(error).__name__}: {error}"[:2000]
    elif status == Message.PushStatus.SENT:
        values[f"{prefix}_last_error"] = ""
    if sent_at is not None:
        values[f"{prefix}_sent_at"] = sent_at
    Message.objects.filter(pk=message.pk).update(**values)


# --- SMS ---------------------------------------------------------------------------------


def sign(secret, timestamp, nonce, body):
    """The SMS request's signature: hex HMAC-SHA256 of ``timestamp\\nnonce\\nbody``."""
    text = f"{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def _send_sms(message):
    phone = message.recipient.phone
    if not phone or not settings.QITONG_SMS_URL:
        return None
    templates = sms_templates()
    template = templates.get(message.kind) or templates.get("default")
    if not template:
        raise Refused(_("没有适用于“%(kind)s”的短信模板。") % {"kind": message.kind})
    subject = message.subject
    if len(subject) > SMS_SUBJECT_MAX:
        subject = subject[: SMS_SUBJECT_MAX - 1] + "…"
    body = json.dumps(
        {
            "request_id": f"qitong-{message.pk}",
            "phone": phone,
            "template": template,
            "params": {"subject": subject, "url": message.url},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(clock.now().timestamp()))
    nonce = uuid.uuid4().hex
    headers = {
        "X-Sms-Key": settings.QITONG_SMS_KEY_ID,
        "X-Sms-Timestamp": timestamp,
        "X-Sms-Nonce": nonce,
        "X-Sms-Signature": sign(settings.QITONG_SMS_SECRET, timestamp, nonce, body),
    }
    answer = _post(settings.QITONG_SMS_URL, body, headers)
    code = answer.get("code", 0) if isinstance(answer, dict) else 0
    if code not in (0, "0", "OK", "ok"):
        raise Unavailable(f"gateway code {code}: {answer.get('message', '')}")
    return []


# --- WeCom -------------------------------------------------------------------------------


def _send_wecom(message):
    recipient = message.recipient
    robot = Robot.objects.filter(unit_id=recipient.unit_id).first() if recipient.unit_id else None
    if robot is None:
        return None
    try:
        validate_robot_url(robot.url)
    except ValidationError:
        raise Refused(_("群机器人地址不在允许的主机中。")) from None
    others = list(
        Message.objects.filter(
            kind=message.kind,
            subject=message.subject,
            body=message.body,
            url=message.url,
            created_at=message.created_at,
            wecom_status=PENDING,
            recipient__unit_id=recipient.unit_id,
        )
        .exclude(pk=message.pk)
        .order_by("pk")
        .values_list("pk", "recipient__first_name", "recipient__last_name", "recipient__username")
    )
    names = [_name(recipient.first_name, recipient.last_name, recipient.username)]
    names += [_name(first, last, username) for _pk, first, last, username in others]
    content = markdown(message, names)
    body = json.dumps(
        {"msgtype": "markdown", "markdown": {"content": content}}, ensure_ascii=False
    ).encode()
    answer = _post(robot.url, body, {})
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code in WECOM_RETRY_CODES:
        raise Unavailable(f"errcode {code}: {answer.get('errmsg', '')}")
    if code != 0:
        raise Refused(f"errcode {code}: {answer.get('errmsg', '')}")
    return [pk for pk, *_names in others]


def _name(first, last, username):
    return f"{last}{first}".strip() or username


def markdown(message, names):
    """The robot's markdown: the subject in bold, the text, whom it is for and the link,
    within WeCom's 4,096 bytes (the text shortened)."""
    tail = "\n> " + _("收件人：%(names)s") % {"names": _("、").join(names)}
    if message.url:
        tail += "\n> " + _("链接：%(url)s") % {"url": message.url}
    head = f"**{message.subject}**\n"
    room = WECOM_MAX_BYTES - len(head.encode()) - len(tail.encode())
    text = message.body
    if len(text.encode()) > room:
        text = text.encode()[: max(room - 3, 0)].decode(errors="ignore") + "…"
    return head + text + tail


# --- HTTP ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A gateway's redirect is not followed: the platform posts only where it was told."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url, body, headers):
    """POST JSON; the answer's JSON (or None). 4xx but 408 and 429 is ``Refused``; other
    failures, network errors and timeouts included, ``Unavailable``."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            raw = response.read(1 << 20)
            status = response.status
    except urllib.error.HTTPError as error:
        if 400 <= error.code < 500 and error.code not in (408, 429):
            raise Refused(f"HTTP {error.code}") from None
        raise Unavailable(f"HTTP {error.code}") from None
    except (OSError, ValueError) as error:  # URLError, timeouts, resets
        raise Unavailable(str(error) or type(error).__name__) from None
    if not 200 <= status < 300:
        raise Unavailable(f"HTTP {status}")
    try:
        return json.loads(raw.decode()) if raw else None
    except (UnicodeDecodeError, ValueError):
        return None
