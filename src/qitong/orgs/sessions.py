"""What a staff session must obey (等保 2.0 level 3): the idle timeout and the password's age.

- A staff role's session (every role but the enterprise's) ends after
  QITONG_STAFF_IDLE_MINUTES (30) without a request: the next request logs
  out and goes to the login page with a Chinese message. Enterprise users keep
  the session's ordinary lifetime (SESSION_COOKIE_AGE).
- A staff role whose password is older than QITONG_PASSWORD_MAX_AGE_DAYS (90)
  is sent to the change-password page, whatever page it asks for, until it
  sets a new one.

Only browser sessions: an API request with a bearer token has no session and
is governed by the token's own expiry.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.orgs.passwords import must_change_password

LAST_SEEN = "qitong_last_seen"
# What a user whose password has expired may still reach.
OPEN_PATHS = ("/static/", "/logout/", "/password/", "/healthz")
# Seconds: the last request's time is saved at most this often.
LAST_SEEN_PRECISION = 30


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff_role:
            refused = self._idle(request) or self._expired_password(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _idle(self, request):
        minutes = settings.QITONG_STAFF_IDLE_MINUTES
        if not minutes:
            return None
        now = clock.now().timestamp()
        last_seen = request.session.get(LAST_SEEN)
        if last_seen is not None and now - last_seen > minutes * 60:
            logout(request)
            message = _("您已超过 %(minutes)d 分钟未操作，已自动退出，请重新登录。") % {
                "minutes": minutes
            }
            if request.path.startswith("/api/"):
                body = {"error": "unauthorized", "message": message}
                return JsonResponse(body, status=401, json_dumps_params={"ensure_ascii": False})
            messages.warning(request, message)
            return redirect(f"{reverse('login')}?next={request.path}")
        if last_seen is None or now - last_seen > LAST_SEEN_PRECISION:
            request.session[LAST_SEEN] = now  # not on every request: a session write each
        return None

    def _expired_password(self, request):
        if request.path.startswith(OPEN_PATHS) or not must_change_password(request.user):
            return None
        message = _("您的密码已超过 %(days)d 天未修改，请先修改密码。") % {
            "days": settings.QITONG_PASSWORD_MAX_AGE_DAYS
        }
        if request.path.startswith("/api/"):
            body = {"error": "forbidden", "message": message}
            return JsonResponse(body, status=403, json_dumps_params={"ensure_ascii": False})
        messages.warning(request, message)
        return redirect("password-change")
