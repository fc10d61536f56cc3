"""The error pages a production server shows (DEBUG off) speak the platform's language, not
Django's English fallbacks: a path nobody routes, a right refused, a form whose CSRF check
failed, a server error."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

from qitong.core.api import server_error

ENGLISH = ("Not Found", "Forbidden", "Server Error", "CSRF verification failed")


def _chinese_page(content, title):
    text = content.decode()
    assert '<html lang="zh-hans">' in text
    assert f"<title>{title} · 企通</title>" in text
    assert not any(words in text for words in ENGLISH), text


def test_a_path_nobody_routes_is_a_chinese_404_even_for_an_english_browser(db, client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 404
    _chinese_page(response.content, "页面不存在")


def test_a_right_refused_and_a_server_error_are_chinese_pages(db):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    refused = defaults.permission_denied(request, PermissionDenied("internal"))
    assert refused.status_code == 403
    _chinese_page(refused.content, "无权访问")
    assert b"internal" not in refused.content
    failed = defaults.server_error(request)
    assert failed.status_code == 500
    _chinese_page(failed.content, "服务器出错")


@pytest.mark.django_db
def test_a_login_whose_csrf_check_fails_is_a_chinese_403():
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = browser.post("/login/", {"username": "office", "password": "x"})
    assert response.status_code == 403
    _chinese_page(response.content, "页面已过期")


def test_a_server_error_under_the_api_is_the_contracts_json(db):
    request = RequestFactory().get("/api/v1/appeals/1")
    failed = server_error(request)
    assert failed.status_code == 500
    assert failed["Content-Type"] == "application/json"
    assert failed.content.decode() == (
        '{"error": "server_error", "message": "服务器出错，请稍后重试。"}'
    )
    page = server_error(RequestFactory().get("/appeals/"))
    _chinese_page(page.content, "服务器出错")
