"""``record``: the one function every app calls to put something on the audit trail.

Who and from where come from the request being served: the middleware
(``AuditMiddleware``) keeps it for the duration of the request, so code deep
in an action (``appeals.events.record``) records without being handed it.
The address is the client's real one, read as the login lockout reads it
(``axes``' helper with ``QITONG_TRUSTED_PROXIES``).

The row is staged in the caller's transaction (``chain.stage``): it commits
with the action it records, or vanishes with it (an action rolled back did
not happen), and a process killed after the commit cannot lose it. The
chain's lock is taken only by ``chain.seal``, which links the staged rows
every few seconds, so no action waits on another's audit row.
"""

import contextvars
from contextlib import contextmanager

from axes.helpers import get_client_ip_address

from qitong.audit import chain
from qitong.audit.models import Record
from qitong.core import clock

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
    chain.stage([entry])


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
        chain.stage(entries)
