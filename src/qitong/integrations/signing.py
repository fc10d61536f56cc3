"""HMAC-SHA256 signatures of the 12345 bridge, both ways.

The signed text is ``timestamp + "\\n" + body`` (the raw bytes of the body),
the timestamp whole seconds since the epoch in ``X-Qitong-Timestamp``, the
signature lowercase hex in ``X-Qitong-Signature``. A timestamp more than
``WINDOW`` off the receiver's clock is refused, so a captured request cannot
be played again later; within the window a replay is harmless, since the
work order's number makes the intake idempotent.
"""

import hashlib
import hmac
from datetime import timedelta

TIMESTAMP_HEADER = "X-Qitong-Timestamp"
SIGNATURE_HEADER = "X-Qitong-Signature"
WINDOW = timedelta(minutes=5)


def signature(secret, timestamp, body):
    """The hex HMAC-SHA256 of ``timestamp + "\\n" + body`` under ``secret``."""
    if isinstance(body, str):
        body = body.encode()
    message = str(timestamp).encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret, body, *, now):
    """The two headers that sign ``body`` as of ``now`` (an aware datetime)."""
    timestamp = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def timestamp_fresh(timestamp, *, now):
    """Whether ``timestamp`` (text, seconds since the epoch) is within ``WINDOW`` of ``now``."""
    try:
        seconds = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs(now.timestamp() - seconds) <= WINDOW.total_seconds()


def matches(secret, timestamp, body, given):
    """Whether ``given`` is the signature of ``body`` at ``timestamp`` (constant time)."""
    if not secret or not isinstance(given, str):
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given.strip().lower())
