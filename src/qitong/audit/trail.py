"""``record``: the one function every app calls to put something on the audit trail.

Who and from where come from the request being served: the middleware
(``AuditMiddleware``) keeps it for the duration of the request, so code deep
in an action (``appeals.events.record``) records without being handed it.
The address is the client's real one, read as the login lockout reads it
(``axes``' helper with ``QITONG_TRUSTED_PROXIES``).

Inside a transaction the row is written when it commits (an action rolled
back did not happen, and the chain's lock is then held only for the short
write, never across the caller's locks); outside one, at once.
"""

import contextvars
import logging
from contextlib import contextmanager

from axes.helpers import get_client_ip_address
from django.db import transaction

from qitong.audit import chain
from qitong.audit.models import Record
from qitong.core import clock

log = logging.getLogger("qitong.audit")

Action = Record.Action
Outcome = Record.Outcome

# The username of rows no person caused (the sweep, the pruning).
SYSTEM = "system"

_request = contextvars.ContextVar("qitong_audit_request", default=None)


@contextmanager
def serving(request):
    """Make ``request`` the one ``record`` reads who and where from, while serving it."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def client_address(request):
    """The client's real address behind the declared proxies (as the lockout counts it)."""
    address = getattr(request, "axes_ip_address", None)
    if address is None:
        try:
            address = get_client_ip_address(request)
        except (AttributeError, ValueError):
            address = None
    return address or request.META.get("REMOTE_ADDR", "") or ""


def record(
    action,
    *,
    target="",
    detail=None,
    outcome=Outcome.SUCCESS,
    request=None,
    user=None,
    username=None,
    at=None,
):
    """Append one row: ``action`` on ``target`` by ``user`` (default: the request's), now."""
    request = request if request is not None else _request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    entry = chain.Entry(
        at=at or clock.now(),
        action=Action(action).value,
        outcome=Outcome(outcome).value,
        user_id=user.pk if user is not None else None,
        username=username
        if username is not None
        else (user.get_username() if user else SYSTEM if request is None else ""),
        role=getattr(user, "role", "") or "" if user is not None else "",
        address=client_address(request) if request is not None else "",
        target=str(target),
        detail=detail or {},
    )
    _write_on_commit([entry])


def record_system(action, items, *, at=None):
    """Many rows at once, for work no request asked for (the sweep's batches).

    ``items``: dicts of ``target``, ``detail`` and optionally ``user_id``; the
    username is ``system`` unless the item names a user.
    """
    at = at or clock.now()
    entries = [
        chain.Entry(
            at=at,
            action=Action(action).value,
            outcome=Outcome.SUCCESS.value,
            user_id=item.get("user_id"),
            username="" if item.get("user_id") else SYSTEM,
            target=str(item.get("target", "")),
            detail=item.get("detail") or {},
        )
        for item in items
    ]
    if entries:
        _write_on_commit(entries)


def _write_on_commit(entries):
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _write(entries), robust=True)
    else:
        _write(entries)


def _write(entries):
    try:
        chain.append(entries)
    except Exception:
        # The trail must not turn a done action into an error; the loss is logged loudly.
        log.exception("audit records lost: %d, first %s", len(entries), entries[0])
