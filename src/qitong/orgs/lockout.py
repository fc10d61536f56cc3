"""Who may try a password now: failed logins counted three ways, each with its own limit.

django-axes records every failed login (one row per username, client address
and browser, with its count and the time of the last failure) and asks its
handler whether a login may be tried. Counting only the username and address
together, as before, let twenty guesses from five addresses, or one address
trying eight accounts, go on for ever. ``LoginGuard`` counts three keys:

==========================  =========================================  =====  ======
key                         stops                                      limit  window
==========================  =========================================  =====  ======
username + address          one person (or guesser) on one account     5      15 min
address                     one address trying many accounts (spray)   30     15 min
username                    many addresses guessing one account        10     5 min
==========================  =========================================  =====  ======

A key is locked while its failures within its window reach the limit; the
lock lifts a window after its last failure. Requests refused by a lock are
not counted, so hammering a locked door neither prolongs the lock nor feeds
the other keys.

The denial-of-service side: anyone can fail logins for ``office``. The pair
and address keys only lock the attacker's own address. The username key is
the one an attacker could aim at a real user, so it is a short cool-off, not
a long lock, and it does not apply from an address where that user has logged
in within ``KNOWN_FOR`` (axes' access log): the office keeps working from its
usual addresses while guesses from elsewhere are slowed to ten per five
minutes. An administrator lifts any lock at once with ``qitong axes_reset_username``
or ``qitong axes_reset_ip``.

The address is the client's real one (``settings.AXES_IPWARE_*``, from
``QITONG_TRUSTED_PROXIES``): behind a proxy that is not declared, every client
shares the proxy's address and the address key would lock everyone out together.
"""

import datetime as dt
import logging
import math
from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessLog
from django.db.models import Max, Q, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("qitong.login")

# A user's address counts as known for this long after a successful login from it.
KNOWN_FOR = dt.timedelta(days=30)


@dataclass(frozen=True)
class Rule:
    key: str
    fields: tuple
    limit: int
    window: dt.timedelta
    message: str


RULES = (
    Rule(
        "pair",
        ("username", "ip_address"),
        5,
        dt.timedelta(minutes=15),
        _("该账号在您当前的网络地址上登录失败次数过多，已暂停从此地址登录。"),
    ),
    Rule(
        "address",
        ("ip_address",),
        30,
        dt.timedelta(minutes=15),
        _("您当前的网络地址登录失败次数过多（涉及多个账号），已暂停从此地址登录。"),
    ),
    Rule(
        "username",
        ("username",),
        10,
        dt.timedelta(minutes=5),
        _(
            "该账号近期从多个网络地址登录失败，为防止密码被猜测，已暂停从新的地址登录；"
            "从您常用的地址登录不受影响。"
        ),
    ),
)
# Rows older than the longest window count for nothing; axes deletes them.
LONGEST = max(rule.window for rule in RULES)


@dataclass(frozen=True)
class Lock:
    """A key that refuses the login now, and when it will let go."""

    rule: Rule
    until: dt.datetime


def locks(username, address, now):
    """The locks on this username from this address at ``now``, in ``RULES`` order (one query)."""
    values = {"username": username, "ip_address": address}
    recent = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=address), attempt_time__gte=now - LONGEST
    )
    sums = {}
    for rule in RULES:
        condition = Q(
            attempt_time__gte=now - rule.window,
            **{field: values[field] for field in rule.fields},
        )
        sums[f"{rule.key}_failures"] = Sum("failures_since_start", filter=condition)
        sums[f"{rule.key}_last"] = Max("attempt_time", filter=condition)
    counted = recent.aggregate(**sums)
    found = []
    for rule in RULES:
        if (counted[f"{rule.key}_failures"] or 0) < rule.limit:
            continue
        if rule.key == "username" and _known_address(username, address, now):
            continue
        found.append(Lock(rule, counted[f"{rule.key}_last"] + rule.window))
    return found


def _known_address(username, address, now):
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=now - KNOWN_FOR
    ).exists()


class LoginGuard(AxesDatabaseHandler):
    """axes' database handler with ``RULES`` instead of one count against one limit.

    axes compares ``get_failures`` with ``AXES_FAILURE_LIMIT``; here the
    "failures" are the number of keys whose limit is reached and the limit is
    1, so axes locks exactly when a rule does. The lock found is left on the
    request for the lockout page.
    """

    def get_failures(self, request, credentials=None):
        username = get_client_username(request, credentials)
        found = locks(username, request.axes_ip_address, request.axes_attempt_time)
        request.login_locks = found
        return len(found)

    def reset_user_attempts(self, request, credentials=None):
        """After a successful login, forget this username's failures from this address only.

        Knowing the password proves nothing about other addresses' attempts on
        this account, nor about this address's attempts on other accounts (an
        attacker with an account of its own must not clear its spraying count).
        """
        username = get_client_username(request, credentials)
        count, _deleted = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def _retry_after(found, now):
    """Whole seconds until the last of ``found`` lets go (at least one)."""
    return max(1, math.ceil((max(lock.until for lock in found) - now).total_seconds()))


def _wants_json(request):
    return request.path.startswith("/api/") or (
        request.accepts("application/json") and not request.accepts("text/html")
    )


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a refused login: a Chinese page (429), or JSON for the API."""
    found = getattr(request, "login_locks", None) or []
    now = request.axes_attempt_time
    if not found:  # locked before this request's own check ran; look again
        username = get_client_username(request, credentials)
        found = locks(username, request.axes_ip_address, now)
    seconds = _retry_after(found, now) if found else int(LONGEST.total_seconds())
    minutes = -(-seconds // 60)
    log.warning(
        "login refused: username=%r address=%s rules=%s retry_after=%ds",
        get_client_username(request, credentials),
        request.axes_ip_address,
        ",".join(lock.rule.key for lock in found) or "-",
        seconds,
    )
    reasons = [str(lock.rule.message) for lock in found]
    wait = gettext("请在 %(minutes)d 分钟后再试；如需立即解除，请联系系统管理员。") % {
        "minutes": minutes
    }
    if _wants_json(request):
        body = {
            "error": "locked",
            "message": " ".join([*reasons, wait]),
            "retry_after": seconds,
        }
        response = JsonResponse(body, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        context = {"title": _("登录已暂停"), "reasons": reasons, "wait": wait}
        response = render(request, "registration/lockout.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
