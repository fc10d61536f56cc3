"""The integrations' endpoints probed as an outsider would: NUL bytes, megabyte bodies, deep
JSON, wrong media types, dates at the calendar's edges, formulas, unknown jurisdictions,
huge page numbers. Every bad input is a clear 4xx naming the field, never a 500: the
12345 intake in the API's shape, Open311 as its arrays of code and description."""

import json

import pytest

from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.integrations import actions, signing
from qitong.integrations.models import Integration
from tests.integrations.conftest import WORKORDERS, order, push
from tests.integrations.test_open311 import V2, _post

MB = 1024 * 1024


def _signed(api, integration, body, content_type="application/json"):
    headers = signing.headers(integration.secret, body, now=clock.now())
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return api.generic("POST", WORKORDERS, body, content_type=content_type, **extra)


def _refused(answer, field, status=400):
    assert answer.status_code == status, answer.content[:500]
    body = answer.json()
    assert body["error"] in ("invalid", "unsupported_media_type"), body
    if field:
        assert field in body["fields"], body
        message = json.dumps(body["fields"][field], ensure_ascii=False)
        assert any("\u4e00" <= char <= "\u9fff" for char in message), message  # Chinese
    return body


# --- 12345 ----------------------------------------------------------------------------


BAD_FIELDS = (
    ("content", "用电\x00增容"),
    ("work_order_no", "GD\x00-1"),
    ("enterprise_name", "\x00"),
    ("content", "用" * (MB // 3)),  # a body of a megabyte
    ("called_at", "0001-01-01T00:00:00+08:00"),
    ("due_at", "9999-12-31T23:59:59-08:00"),
    ("called_at", "2026-02-30T09:00:00+08:00"),
    ("due_at", "not a date"),
    ("attachments", "https://example.org/a.jpg"),
    ("attachments", ["javascript:alert(1)"]),
    ("attachments", [{"url": "https://example.org"}]),
    ("attachments", ["https://example.org/a.jpg"] * 21),
    ("urgency", "火急"),
    ("uscc", "=1+1"),
    ("uscc", None),
    ("content", {"a": [1, 2]}),
    ("work_order_no", "   "),
    ("work_order_no", "x" * 101),
)


def test_a_bad_work_order_field_is_400_naming_it(api, city, hotline):
    for field, value in BAD_FIELDS:
        _refused(push(api, hotline, order(**{field: value})), field)
    assert not Appeal.objects.exists()


def test_edge_dates_that_exist_are_kept(api, city, hotline):
    answer = push(
        api,
        hotline,
        order(called_at="0001-01-01T08:00:00+08:00", due_at="9999-12-31T15:59:59+08:00"),
    )
    assert answer.status_code == 201, answer.json()


def test_formula_text_is_kept_as_text(api, city, hotline):
    formula = '=HYPERLINK("http://evil.example","点我")'
    answer = push(api, hotline, order(content=formula, caller="=1+1", kind="@SUM(A1)"))
    assert answer.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.content.startswith(formula) and appeal.contact_name == "=1+1"


def _with(data, field, raw):
    """``data`` as JSON with ``field``'s value replaced by the raw text ``raw``."""
    data[field] = "\x01marker"
    return json.dumps(data).replace('"\\u0001marker"', raw).encode()


BAD_BODIES = (
    (b"", "application/json", "body", 400),
    (b"   ", "application/json", "body", 400),
    (b'{"a": "\x00"}', "application/json", "body", 400),
    (b"\xff\xfe{}", "application/json", "body", 400),
    (b"[" * 200_000 + b"]" * 200_000, "application/json", "body", 400),
    (b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "application/json", "body", 400),
    (b"[1, 2]", "application/json", "body", 400),
    (b'"text"', "application/json", "body", 400),
    (b"null", "application/json", "body", 400),
    (b"{bad json", "application/json", "body", 400),
    (_with(order(), "content", "NaN"), "application/json", "body", 400),
    (_with(order(), "content", "-Infinity"), "application/json", "body", 400),
    (b"work_order_no=1", "application/x-www-form-urlencoded", None, 415),
    (b"{}", "text/plain", None, 415),
    (b"<xml/>", "text/xml", None, 415),
    (
        b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
        None,
        415,
    ),
)


def test_a_bad_body_is_4xx(api, city, hotline):
    for body, content_type, field, status in BAD_BODIES:
        _refused(_signed(api, hotline, body, content_type), field, status)
    assert not Appeal.objects.exists()


def test_a_megabyte_body_and_one_past_the_limit(api, city, hotline, settings):
    big = json.dumps(order(content="诉" * (MB // 3))).encode()
    _refused(_signed(api, hotline, big), "content")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
    answer = _signed(api, hotline, json.dumps(order(content="诉" * MB)).encode())
    assert answer.status_code == 400 and "请求内容过大" in answer.json()["message"]


def test_bad_signature_headers_are_401_in_chinese(api, city, hotline):
    body = json.dumps(order()).encode()
    for headers in (
        {},
        {"X-Qitong-Timestamp": "abc", "X-Qitong-Signature": "00"},
        {"X-Qitong-Timestamp": "9" * 40, "X-Qitong-Signature": "00"},
        {"X-Qitong-Timestamp": "-1", "X-Qitong-Signature": "zz"},
        {"X-Qitong-Timestamp": "1e9", "X-Qitong-Signature": "\u4e2d"},
    ):
        answer = push(api, hotline, None, body=body, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["error"] == "unauthorized"
    assert api.get(WORKORDERS).status_code == 405


# --- Open311 ----------------------------------------------------------------------------


@pytest.fixture
def client311(city):
    integration, key = actions.create_integration(name="cityapp", kind=Integration.Kind.OPEN311)
    integration.key = key
    return integration


def _array(answer, code, *words):
    assert answer.status_code == code, answer.content[:500]
    if answer["Content-Type"].startswith("text/xml"):
        assert f"<code>{code}</code>".encode() in answer.content
        return answer.content.decode()
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(answer.content)
    assert isinstance(body, list) and body[0]["code"] == code, body
    description = body[0]["description"]
    for word in words:
        assert word in description, description
    return description


BAD_REQUESTS = (
    ({"description": "路灯\x00不亮"}, ["description", "空字符"]),
    ({"first_name": "\x00"}, ["first_name"]),
    ({"description": "诉" * 4001}, ["description", "4000"]),
    ({"description": "诉" * (MB // 3)}, ["description"]),  # a body of a megabyte
    ({"address_string": "地" * 301, "lat": "", "long": ""}, ["address_string"]),
    ({"lat": "91", "long": "0"}, ["lat"]),
    ({"lat": "nan", "long": "1"}, ["lat"]),
    ({"lat": "1e999", "long": "1"}, ["lat"]),
    ({"lat": "36.6", "long": ""}, ["lat", "long"]),
    ({"lat": "", "long": ""}, ["lat", "address_string"]),
    ({"media_url": "javascript:alert(1)"}, ["media_url"]),
    ({"enterprise_uscc": "=1+1"}, ["enterprise_uscc"]),
    ({"attribute[capacity_kva]": "=1+1"}, ["attribute[capacity_kva]"]),
    ({"attribute[capacity_kva]": "-5"}, ["attribute[capacity_kva]"]),
    ({"attribute[voltage]": "1000kv"}, ["attribute[voltage]"]),
    ({"description": "\u200b\u200b"}, ["description"]),
    ({"jurisdiction_id": "beijing.gov.cn"}, ["jurisdiction_id"]),
    ({"service_code": "nosuch"}, ["service_code"]),
    ({"service_code": ""}, ["service_code"]),
)


def test_a_bad_request_field_is_an_open311_error_naming_it(client, city, client311):
    for fields, words in BAD_REQUESTS:
        answer = _post(client, client311.key, **fields)
        code = 404 if {"jurisdiction_id", "service_code"} & set(fields) else 400
        _array(answer, code, *words)
    assert not Appeal.objects.exists()


def test_formula_text_in_a_request_is_kept_as_text(client, city, client311):
    answer = _post(client, client311.key, description="=cmd|' /C calc'!A0", last_name="=1+1")
    assert answer.status_code == 201
    assert Appeal.objects.get().content.startswith("=cmd|' /C calc'!A0")


@pytest.mark.parametrize(
    "body, content_type, code",
    [
        (b'{"service_code": "other"}', "application/json", 400),
        (b"service_code=other", "text/plain", 400),
        (b"<request/>", "text/xml", 400),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", 403),  # read as empty: no key
        (b"--x\r\n" + b"a" * 20_000, "multipart/form-data; boundary=x", 400),  # unreadable
    ],
)
def test_a_post_in_another_media_type_is_4xx(client, city, client311, body, content_type, code):
    answer = client.generic(
        "POST", f"{V2}/requests.json?api_key={client311.key}", body, content_type=content_type
    )
    _array(answer, code)


def test_a_post_past_the_size_limit_is_an_open311_400(client, city, client311, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
    answer = _post(client, client311.key, description="诉" * MB)
    _array(answer, 400, "过大")


READS = (
    ({"start_date": "0001-01-01T00:00:00Z"}, 200, []),
    ({"end_date": "9999-12-31T23:59:59+08:00"}, 200, []),
    ({"end_date": "0001-01-02T00:00:00Z"}, 200, []),  # the window starts at the edge
    ({"start_date": "0001-01-01T00:00:00+08:00"}, 400, ["start_date", "范围"]),
    ({"end_date": "9999-12-31T23:59:59-08:00"}, 400, ["end_date", "范围"]),
    ({"start_date": "2026-02-30T00:00:00+08:00"}, 400, ["start_date"]),
    ({"start_date": "2026-12-01"}, 400, ["start_date"]),
    ({"end_date": "\x00"}, 400, ["end_date"]),
    ({"status": "=1+1"}, 400, ["status"]),
    ({"service_request_id": "x" * 100_000}, 200, []),
    ({"jurisdiction_id": "nosuch"}, 404, ["jurisdiction_id"]),
    ({"page": "99999999999999999999"}, 200, []),
    ({"page_size": "-1"}, 200, []),
    ({"api_key": "q311_" + "x" * 10_000}, 403, ["api_key"]),
)


def test_reads_with_bad_parameters(client, city):
    for query, code, words in READS:
        for fmt in ("json", "xml"):
            answer = client.get(f"{V2}/requests.{fmt}", query)
            if code == 200:
                assert answer.status_code == 200, (query, answer.content[:300])
            else:
                _array(answer, code, *words)


ODD_PATHS = (
    ("/services/nosuch.json", 404),
    ("/services/" + "a" * 5000 + ".json", 404),
    ("/requests/QT-9999-999999.json", 404),
    ("/requests/%00.json", 400),
    ("/tokens/abc.json", 403),
    ("/nosuch.json", 404),
    ("/discovery.yaml", 404),
    ("/services.xml?jurisdiction_id=x", 404),
)


def test_odd_paths_are_open311_errors(client, city):
    for path, code in ODD_PATHS:
        _array(client.get(V2 + path), code)


def test_writes_to_read_only_endpoints_are_405_arrays(client, city):
    for path in ("/services.json", "/discovery.xml", "/services/other.json"):
        _array(client.post(V2 + path, {"a": "b"}), 405)
    _array(client.put(f"{V2}/requests.json", "a=b"), 405)


def test_a_path_outside_the_v2_routes_is_an_open311_error_too(client, city):
    """No route takes it, so Django's 404 answers (``core.errors.answer``): in the road's shape."""
    _array(client.get("/open311/v3/services.json"), 404)
    _array(client.get("/open311/"), 404)
