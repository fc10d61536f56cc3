"""Hostile input gets a clear 400 in Chinese naming the field, on every road, never a server error.

A NUL character (which PostgreSQL cannot store in text, so it failed deep in
whichever query got it) is refused in the query string, a form, a cookie or a
JSON body; a JSON body nested a thousand deep (which made Python's decoder
give up with RecursionError) is refused before anything reads it. Run on
SQLite and on PostgreSQL, where the NUL failures showed.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals.models import Appeal, Event
from qitong.core.parsers import MAX_DEPTH
from qitong.enterprises.models import Enterprise
from qitong.orgs.models import Unit, User
from tests.appeals import files
from tests.appeals.conftest import City
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "不能包含空字符（NUL，\\u0000）。"


@pytest.fixture
def city(db):
    return City()


def _refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid"
    assert body["message"]
    assert body["fields"] == {field: [NUL_MESSAGE]}


def _written():
    return (
        Appeal.objects.count(),
        Event.objects.count(),
        Enterprise.objects.count(),
        Unit.objects.count(),
        User.objects.count(),
    )


# --- the API: query strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/appeals?enterprise=%00", "enterprise"),
        ("/api/v1/appeals?category=a%00b", "category"),
        ("/api/v1/appeals?unit=fgw%00", "unit"),
        ("/api/v1/appeals?status=%00", "status"),
        ("/api/v1/appeals/ledger.xlsx?enterprise=%00", "enterprise"),
        ("/api/v1/units?x%00=1", "x\\u0000"),
        ("/api/v1/figures?month=2026-11%00", "month"),
        ("/api/v1/inbox?page=%00", "page"),
    ],
)
def test_a_nul_in_a_query_parameter_is_refused_naming_it(city, url, field):
    _refused(client_for(city.office_user).get(url), field)


# --- the API: JSON bodies -----------------------------------------------------------------


def _post_json(user, url, body):
    return client_for(user).post(url, json.dumps(body), content_type="application/json")


def _filing(city, **changes):
    return {
        "enterprise": city.company.uscc,
        "title": "用电增容审批缓慢",
        "content": "新厂房需要增容。",
        "channel": "web",
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"enterprise": "91370102MA3C00001\u0000"}, "enterprise"),
        ({"category": "factors\u0000"}, "category"),
        ({"title": "标题\u0000"}, "title"),
        ({"external_id": "\u0000"}, "external_id"),
        ({"extra\u0000": "x"}, "extra\\u0000"),
    ],
)
def test_filing_refuses_a_nul_anywhere_in_the_body(city, changes, field):
    before = _written()
    _refused(_post_json(city.office_user, "/api/v1/appeals", _filing(city, **changes)), field)
    assert _written() == before


def test_an_action_refuses_a_nul_in_a_nested_value(city):
    appeal = city.file()
    office = city.office_user
    assert _post_json(office, f"/api/v1/appeals/{appeal.pk}/accept", {}).status_code == 200
    before = _written()
    body = {"mode": "coordinated", "lead_unit": "fgw", "co_units": ["gxj", "zjj\u0000"]}
    _refused(_post_json(office, f"/api/v1/appeals/{appeal.pk}/dispatch", body), "co_units")
    _refused(
        _post_json(office, f"/api/v1/appeals/{appeal.pk}/dispatch", {"lead_unit": "\u0000"}),
        "lead_unit",
    )
    assert _written() == before
    assert Appeal.objects.get().status == Appeal.Status.ACCEPTED


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/units", {"code": "x\u0000", "name": "单位", "kind": "department"}, "code"),
        (
            "/api/v1/enterprises",
            {"uscc": "91370102MA3C0000\u0000", "name": "企业", "region": "370102"},
            "uscc",
        ),
        (
            "/api/v1/enterprises",
            {"uscc": "91370102MA3C00009", "name": "企业", "region": "370102\u0000"},
            "region",
        ),
        (
            "/api/v1/users",
            {"username": "u1", "password": PASSWORD, "role": "unit", "unit": "fgw\u0000"},
            "unit",
        ),
    ],
)
def test_the_admin_endpoints_refuse_a_nul(city, admin_user, url, body, field):
    before = _written()
    _refused(_post_json(admin_user, url, body), field)
    assert _written() == before


def test_a_nul_in_a_multipart_field_is_refused(city):
    appeal = city.file()
    client = client_for(city.ent_user)
    url = f"/api/v1/appeals/{appeal.pk}/attachments"
    plain = SimpleUploadedFile("a.pdf", files.PDF)
    _refused(client.post(url, {"file": plain, "note": "\u0000"}, format="multipart"), "note")
    assert appeal.attachments.count() == 0


def test_a_nul_in_a_form_body_sent_by_patch_is_refused_by_the_parser(city, admin_user):
    response = client_for(admin_user).generic(
        "PATCH", "/api/v1/units", "code=x%00", content_type="application/x-www-form-urlencoded"
    )
    # The endpoint takes no PATCH; what matters is that the body is refused before that.
    assert response.status_code in (400, 405)
    if response.status_code == 400:
        _refused(response, "code")


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "url",
    ["/api/v1/appeals", "/api/v1/units", "/api/v1/enterprises", "/api/v1/users", "ACTION"],
)
def test_a_body_nested_a_thousand_deep_is_refused(city, admin_user, url):
    if url == "ACTION":
        url = f"/api/v1/appeals/{city.file().pk}/reject"
    before = _written()
    for body in (_nested(1000), '{"a":' * 1000 + "1" + "}" * 1000, _nested(100_000)):
        response = client_for(admin_user).post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid"
        assert response.json()["fields"] == {"non_field_errors": ["请求内容嵌套过深：最多 32 层。"]}
    assert _written() == before


def test_a_body_at_the_depth_limit_is_parsed(city):
    deep = {"reason": "重复"}
    body = json.loads(_nested(MAX_DEPTH - 1))  # a value MAX_DEPTH - 1 deep inside the object
    deep["extra"] = body
    response = _post_json(city.office_user, f"/api/v1/appeals/{city.file().pk}/reject", deep)
    assert response.status_code == 200, response.content


def test_json_that_does_not_parse_is_still_the_plain_parse_error(city):
    response = client_for(city.office_user).post(
        "/api/v1/appeals", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "请求内容不是有效的 JSON。"


# --- pages and the admin ------------------------------------------------------------------


def _page_refused(response, field):
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求中含有空字符" in page and f"<code>{field}</code>" in page
    assert response["Content-Type"].startswith("text/html")


def test_the_office_queues_refuse_a_nul_in_the_filter(client, city):
    client.force_login(city.office_user)
    for field in ("q", "category", "lead_unit", "status", "submitted_from"):
        _page_refused(client.get("/office/queues/", {field: "\x00"}), field)


def test_the_login_page_refuses_a_nul_in_the_username(client, city):
    response = client.post("/login/", {"username": "office\x00", "password": "x"})
    _page_refused(response, "username")


def test_a_nul_in_a_cookie_is_refused(client, city):
    client.cookies["sessionid"] = "\x00" * 32
    _page_refused(client.get("/login/"), "sessionid")


def test_the_admin_refuses_a_nul_in_search_and_in_a_form(client, city, admin_user):
    client.force_login(admin_user)
    _page_refused(client.get("/admin/orgs/unit/", {"q": "\x00"}), "q")
    before = _written()
    response = client.post(
        "/admin/orgs/unit/add/", {"code": "new\x00", "name": "新单位", "kind": "department"}
    )
    _page_refused(response, "code")
    assert _written() == before


def test_clean_requests_pass_untouched(client, city):
    client.force_login(city.office_user)
    assert client.get("/office/queues/", {"q": "用电"}).status_code == 200
    assert client_for(city.office_user).get("/api/v1/appeals", {"unit": "fgw"}).status_code == 200
