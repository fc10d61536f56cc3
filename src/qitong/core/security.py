"""The HTTP headers every answer carries, and what logging leaves out.

Django's ``SecurityMiddleware`` already sends HSTS, the SSL redirect (both when
TLS is configured, settings.py), ``X-Content-Type-Options`` and the referrer
policy, and ``XFrameOptionsMiddleware`` refuses framing. This middleware adds:

- ``Content-Security-Policy``: scripts only from the platform's own static
  files (no inline script, no ``eval``, no event handler attributes: the pages'
  behaviour lives in ``static/js/``); styles from the platform and inline
  ``style`` attributes and blocks (templates use them for layout; a style cannot
  run code); images from the platform and ``data:`` (ECharts); connections
  (htmx) and forms only to the platform; no plugins, no ``<base>`` elsewhere,
  no framing.
- ``Permissions-Policy``: no page uses the camera, microphone, location,
  payment or sensors, so none may.
- ``Cache-Control: no-store`` (with ``private``) on every answer to a logged-in
  user, pages and API alike: a shared computer's back button or a proxy's cache
  must not show one user's cases to the next.
"""

import logging

from django.conf import settings
from django.utils.cache import add_never_cache_headers

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


def _logged_in(request):
    # request.user is set by AuthenticationMiddleware for a session, and by
    # Django REST framework for a bearer token; absent for static files.
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class SecurityHeadersMiddleware:
    """CSP and Permissions-Policy on every answer; no-store on every answer to a logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "QITONG_CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _logged_in(request):
            add_never_cache_headers(response)
        return response


class ForbiddenWithoutTraceback(logging.Filter):
    """Keep the one line Django logs for a refused request (403), without the traceback.

    A 403 is the access rules doing their work, not a fault: its traceback
    buries real errors in the log. The line still names the path and the
    status (and the audit trail records who was refused).
    """

    def filter(self, record):
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
