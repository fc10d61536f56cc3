"""HTTP hardening: CSP without inline script, Permissions-Policy, no-store for logged-in
users, the schema only for them, HSTS and the SSL redirect under TLS, no 403 tracebacks."""

import logging
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from qitong.core.models import ApiToken
from qitong.core.security import ForbiddenWithoutTraceback
from tests.core.test_serve import served  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "qitong"


def test_every_answer_has_a_csp_without_inline_script_and_a_permissions_policy(client):
    for path in ["/login/", "/healthz", "/api/v1/units", "/static/qitong/site.css"]:
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]*)", csp).group(1)
        assert script == "'self'", path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_no_template_holds_an_inline_script_or_event_handler():
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
    offenders = []
    for template in SRC.rglob("templates/**/*.html"):
        text = template.read_text()
        if inline.search(text) or handler.search(text):
            offenders.append(str(template.relative_to(SRC)))
    assert offenders == []


def test_logged_in_answers_are_not_stored_anonymous_pages_may_be(client, office_user):
    assert "no-store" not in client.get("/static/qitong/site.css").get("Cache-Control", "")
    client.force_login(office_user)
    for path in ["/", "/inbox/", "/api/v1/me"]:
        response = client.get(path, follow=True)
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_token_answers_are_not_stored(unit_user):
    _token, key = ApiToken.issue(unit_user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_schema_is_only_for_logged_in_users(client, unit_user):
    response = client.get("/api/schema/")
    assert response.status_code == 401
    client.force_login(unit_user)
    assert client.get("/api/schema/").status_code == 200


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_REDIRECT_EXEMPT=[r"^healthz$"],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_under_tls_http_is_redirected_and_https_answers_carry_hsts(client):
    plain = client.get("/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/"
    assert client.get("/healthz").status_code == 200  # the balancer's probe
    secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_tls_settings_follow_qitong_secure_cookies(tmp_path):
    from tests.processes import qitong, qitong_env

    env = qitong_env(
        tmp_path,
        QITONG_SECURE_COOKIES="true",
        QITONG_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO=https",
        QITONG_ALLOWED_HOSTS="qitong.example.org",
    )
    env["QITONG_SECRET_KEY"] = (
        "k3Y-" + "a-long-and-random-secret-for-the-deploy-check-0123456789" * 2
    )
    result = qitong("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning not in output, output


def test_a_refused_page_logs_one_line_without_a_traceback(client, enterprise_user, caplog):
    client.force_login(enterprise_user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/leader/cockpit/")  # an enterprise may not read the cockpit
    assert response.status_code == 403
    refused = [record for record in caplog.records if getattr(record, "status_code", 0) == 403]
    assert refused
    assert all(record.exc_info is None for record in refused)


def test_the_filter_drops_the_traceback_of_a_403_only():
    def record(status):
        try:
            raise PermissionError("x")
        except PermissionError:
            import sys

            entry = logging.LogRecord(
                "django.request", logging.WARNING, "", 0, "m", (), sys.exc_info()
            )
        entry.status_code = status
        return entry

    forbidden, failed = record(403), record(500)
    ForbiddenWithoutTraceback().filter(forbidden)
    ForbiddenWithoutTraceback().filter(failed)
    assert forbidden.exc_info is None
    assert failed.exc_info is not None


def test_schema_still_generates_without_warnings():
    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")


def test_serve_sends_no_server_banner(served):  # noqa: F811
    import urllib.request

    port, _env, _data_dir = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/") as response:
        assert response.headers.get("Server") is None
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
