"""Rate limits on the roads an abuser would hammer: login, filing, urging, public endpoints.

Each rule counts requests per client in fixed windows; past its limit a request
is answered 429 with ``Retry-After`` and a Chinese message (JSON under /api/,
a page otherwise) and never reaches the view. The counts live where every
process sees them: Redis when QITONG_REDIS_URL is set (INCR with an expiry),
else the database (``core.RateCounter``, one row per client and window), so
the limits hold across gunicorn workers and web nodes. If Redis cannot be
reached the request is let through (filing must go on) and the failure logged.

Rules and their defaults (QITONG_RATE_LIMITS overrides, e.g.
``login=20/60,filing=20/60,urge=2/600,public=120/60,integration=600/60``; a limit of 0
turns a rule off):

- ``login``: POSTs to the login pages, per client address (wrong passwords are
  django-axes' to count; this bounds the request rate itself).
- ``filing``: new appeals through the API or the portal, per user (or token, or address).
- ``urge``: urging one case, per user and case: the second urge of the same case
  within ten minutes is refused.
- ``public``: the pages and API open without login (policy library, Open311),
  per client address.
- ``integration``: a connected system's own requests (a 12345 hotline's work
  orders, an Open311 client's keyed POSTs), per integration. Only the view
  knows which integration asks (by its signature or its key), so it counts
  them itself (``exceeded``); what fails to prove an integration counts under
  ``public`` per address.
"""

import functools
import hashlib
import logging
import math
from datetime import timedelta

import redis
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.core.errors import answer
from qitong.core.models import RateCounter

log = logging.getLogger(__name__)

DEFAULTS = {
    "login": (20, 60),
    "filing": (20, 60),
    "urge": (2, 600),
    "public": (120, 60),
    "integration": (600, 60),
}
LOGIN_VIEWS = {"login", "admin:login"}
FILING_VIEWS = {"api-appeals", "portal-file"}
PUBLIC_VIEWS = {"policy-library", "policy-detail", "api-policies", "api-policy"}
# Views that count their requests themselves, once they know who asks (``exceeded``).
SELF_COUNTED = {"api-hotline-workorders"}


def parse(text):
    """``{rule: (limit, seconds)}`` from ``rule=limit/seconds,…`` over the defaults."""
    rules = dict(DEFAULTS)
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, _sep, value = item.partition("=")
        limit, _sep, seconds = value.partition("/")
        if name not in DEFAULTS or not limit.isdigit() or not seconds.isdigit() or not int(seconds):
            raise ValueError(item)
        rules[name] = (int(limit), int(seconds))
    return rules


def rule_for(request):
    """The rule and the key part a request counts under, or ``None``."""
    match = request.resolver_match
    name = match.view_name if match else ""
    if request.method == "POST" and name in LOGIN_VIEWS:
        return "login", _address(request)
    if request.method == "POST" and name in FILING_VIEWS:
        return "filing", _client(request)
    if request.method == "POST" and (
        name == "api-appeal-urge" or (name == "appeal-act" and match.kwargs.get("name") == "urge")
    ):
        return "urge", f"{_client(request)}:{match.kwargs.get('pk')}"
    if name in SELF_COUNTED or (request.method == "POST" and name == "open311-requests"):
        return None  # per integration (or per address when none is proved): the view counts
    if name in PUBLIC_VIEWS or name.startswith("open311-"):
        return "public", _address(request)
    return None


def address(request):
    """The client's address as the rules count it (``ip:…``), for views that count themselves."""
    return _address(request)


def _address(request):
    return f"ip:{get_client_ip_address(request) or '-'}"


def _client(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:24]
    return _address(request)


def hit(key, seconds):
    """Count one request under ``key`` in the current window: ``(count, seconds_left)``."""
    now = clock.now().timestamp()
    window = math.floor(now / seconds)
    left = max(1, math.ceil((window + 1) * seconds - now))
    full_key = f"qitong:rate:{key}:{seconds}:{window}"
    if settings.REDIS_URL:
        return _hit_redis(full_key, seconds), left
    return _hit_database(full_key, left), left


_redis = None


def _hit_redis(key, seconds):
    global _redis

    try:
        if _redis is None:
            _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)
        pipe = _redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, seconds + 1, nx=True)
        count, _set = pipe.execute()
        return count
    except redis.RedisError as exc:
        log.warning("rate limit skipped, Redis unreachable: %s", exc)
        return 0


def _hit_database(key, left):
    with transaction.atomic():
        if not RateCounter.objects.filter(key=key).update(count=F("count") + 1):
            now = clock.now()
            RateCounter.objects.filter(expires_at__lt=now).delete()
            try:
                with transaction.atomic():
                    RateCounter.objects.create(
                        key=key, count=1, expires_at=now + timedelta(seconds=left)
                    )
            except IntegrityError:  # another process created it meanwhile
                RateCounter.objects.filter(key=key).update(count=F("count") + 1)
        return RateCounter.objects.filter(key=key).values_list("count", flat=True).get()


def exceeded(rule, client):
    """Count one request of ``client`` under ``rule``: the seconds to wait when it is past
    the limit, else None. For views that know who asks only after authenticating it."""
    limit, seconds = _rules(settings.QITONG_RATE_LIMITS)[rule]
    if not limit:
        return None
    count, left = hit(f"{rule}:{client}", seconds)
    return left if count > limit else None


def message(seconds_left):
    return _("操作过于频繁，请在 %(seconds)d 秒后再试。") % {"seconds": seconds_left}


def too_many(request, seconds_left):
    text = message(seconds_left)
    response = answer(
        request,
        429,
        "rate_limited",
        text,
        page=lambda: HttpResponse(
            render_to_string("429.html", {"message": text}, request=request), status=429
        ),
    )
    response["Retry-After"] = str(seconds_left)
    return response


@functools.lru_cache(maxsize=8)
def _rules(text):
    try:
        return parse(text)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"环境变量 QITONG_RATE_LIMITS 的值无效：{exc}（应为 login=20/60,urge=2/600 形式）。"
        ) from None


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        _rules(settings.QITONG_RATE_LIMITS)  # a wrong value stops the start

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        found = rule_for(request)
        if found is None:
            return None
        left = exceeded(*found)
        return None if left is None else too_many(request, left)
