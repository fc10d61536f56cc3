"""Open311 GeoReport v2: discovery, services, POST and GET requests, JSON and XML, errors,
jurisdiction, the window, privacy. Every JSON answer validates against the public schemas."""

import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.management import call_command

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.integrations import actions
from qitong.integrations.models import Integration, ServiceRequest
from qitong.notify.models import Message
from tests.integrations.schemas import validate

V2 = "/open311/v2"


@pytest.fixture
def client311(city):
    integration, key = actions.create_integration(name="cityapp", kind=Integration.Kind.OPEN311)
    integration.key = key
    return integration


def _json(answer, status=200):
    assert answer.status_code == status, answer.content.decode()
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(answer.content)


def _xml(answer, status=200):
    assert answer.status_code == status, answer.content.decode()
    assert answer["Content-Type"] == "text/xml; charset=utf-8"
    assert answer.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(answer.content)


def _error(answer, code):
    body = _json(answer, code)
    assert isinstance(body, list) and body[0]["code"] == code and body[0]["description"]
    return body[0]["description"]


def _post(client, key, **fields):
    data = {
        "service_code": "factors-power",
        "description": "厂区新增用电容量申请两个月没有答复。",
        "lat": "36.6683",
        "long": "117.0204",
        "first_name": "伟",
        "last_name": "王",
        "email": "wang@example.org",
        "phone": "13800000000",
        "attribute[capacity_kva]": "2000",
        "attribute[voltage]": "10kv",
        "enterprise_uscc": make_uscc("91370102MA3C00001"),
        **fields,
    }
    if key is not None:
        data["api_key"] = key
    return client.post(f"{V2}/requests.json", {k: v for k, v in data.items() if v is not None})


def test_discovery_in_both_formats(client, city):
    body = _json(client.get(f"{V2}/discovery.json"))
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert body["changeset"].endswith("+08:00")
    root = _xml(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]


def test_services_are_the_categories_with_their_attributes(client, city):
    services = validate(_json(client.get(f"{V2}/services.json")), "services.json")
    by_code = {service["service_code"]: service for service in services}
    assert by_code["factors-power"]["metadata"] is True
    assert by_code["factors-power"]["group"] == "生产要素保障"
    assert by_code["other"]["metadata"] is False
    assert {service["type"] for service in services} == {"realtime"}
    assert all(code.isascii() for code in by_code)
    definition = validate(
        _json(client.get(f"{V2}/services/factors-power.json")), "service-definition.json"
    )
    assert [a["code"] for a in definition["attributes"]] == ["capacity_kva", "voltage"]
    assert definition["attributes"][1]["values"][0] == {"key": "10kv", "name": "10千伏"}
    validate(_json(client.get(f"{V2}/services/other.json")), "service-definition.json")
    root = _xml(client.get(f"{V2}/services.xml"))
    assert root.tag == "services" and root.find("service/metadata").text in ("true", "false")
    root = _xml(client.get(f"{V2}/services/factors-power.xml"))
    assert root.find("attributes/attribute/values/value/key").text == "10kv"
    _error(client.get(f"{V2}/services/nothing.json"), 404)


def test_jurisdiction_is_ours_empty_or_unknown(client, city, settings):
    settings.QITONG_OPEN311_JURISDICTION = "jinan.gov.cn"
    _json(client.get(f"{V2}/services.json", {"jurisdiction_id": "jinan.gov.cn"}))
    _json(client.get(f"{V2}/services.json", {"jurisdiction_id": ""}))
    _error(client.get(f"{V2}/services.json", {"jurisdiction_id": "qingdao.gov.cn"}), 404)
    root = _xml(client.get(f"{V2}/services.xml", {"jurisdiction_id": "qingdao.gov.cn"}), 404)
    assert root.tag == "errors" and root.find("error/code").text == "404"
    _error(client.get(f"{V2}/nothing-here.json"), 404)


def test_posting_a_request_files_an_appeal_of_channel_open311(client, city, client311):
    body = _json(_post(client, client311.key), 201)
    (row,) = body
    appeal = Appeal.objects.get(number=row["service_request_id"])
    assert row["account_id"] is None and "token" not in row
    assert appeal.channel == "open311" and appeal.enterprise == city.company
    assert appeal.category.code == "factors-power"
    assert "申请新增用电容量（千伏安）: 2000" in appeal.content
    assert appeal.contact_name == "王 伟" and appeal.events.get().actor == client311.account
    request = ServiceRequest.objects.get(appeal=appeal)
    assert request.state == "filed" and request.integration == client311 and request.lat == 36.6683
    root = _xml(
        client.post(
            f"{V2}/requests.xml",
            {
                "api_key": client311.key,
                "service_code": "other",
                "description": "咨询",
                "address_string": "济南市历下区解放路 1 号",
                "enterprise_uscc": city.company.uscc,
            },
        ),
        201,
    )
    assert root.tag == "service_requests" and root.find("request/service_request_id").text


def test_keys_and_bad_requests_are_refused_as_arrays(client, city, client311):
    assert "api_key" in _error(_post(client, None), 403)
    _error(_post(client, "q311_wrong"), 403)
    assert "4000" in _error(_post(client, client311.key, description="企" * 4001), 400)
    _error(_post(client, client311.key, service_code="nothing"), 404)
    _error(_post(client, client311.key, lat=None, long=None), 400)
    _error(_post(client, client311.key, lat="91"), 400)
    _error(_post(client, client311.key, **{"attribute[capacity_kva]": None}), 400)
    _error(_post(client, client311.key, **{"attribute[voltage]": "500kv"}), 400)
    _error(_post(client, client311.key, enterprise_uscc="91370102MA3C000010"), 400)
    _error(_post(client, client311.key, jurisdiction_id="qingdao.gov.cn"), 404)
    _error(_post(client, client311.key, first_name="伟" * 30, last_name="王" * 30), 400)
    _error(_post(client, client311.key, phone="1" * 21), 400)
    # a description of invisible characters only
    assert "description" in _error(_post(client, client311.key, description="\u200b\u200b"), 400)
    _error(client.delete(f"{V2}/requests.json"), 405)
    assert not Appeal.objects.exists() and not ServiceRequest.objects.exists()


def test_a_request_naming_no_enterprise_waits_for_the_office(client, city, client311):
    (row,) = _json(_post(client, client311.key, enterprise_uscc=None), 201)
    assert "service_request_id" not in row and row["token"] and row["service_notice"]
    assert not Appeal.objects.exists()
    assert Message.objects.filter(kind="open311_pending", recipient=city.office_user).exists()
    token_url = f"{V2}/tokens/{row['token']}.json"
    assert _json(client.get(token_url, {"api_key": client311.key})) == [
        {"token": row["token"], "service_request_id": None}
    ]
    _error(client.get(token_url), 403)
    request = ServiceRequest.objects.get(token=row["token"])
    actions.file_service_request(
        request, enterprise=city.other_company, acting_user=city.office_user
    )
    appeal = Appeal.objects.get(channel="open311")
    assert appeal.enterprise == city.other_company and appeal.external_id == row["token"]
    assert _json(client.get(token_url, {"api_key": client311.key}))[0]["service_request_id"] == (
        appeal.number
    )


def test_an_unknown_enterprise_is_created_unverified(client, city, client311):
    code = make_uscc("91370102MA3C07777")
    _json(
        _post(client, client311.key, enterprise_uscc=code, enterprise_name="济南新厂有限公司"), 201
    )
    enterprise = Enterprise.objects.get(uscc=code)
    assert not enterprise.verified and enterprise.name == "济南新厂有限公司"
    assert Message.objects.filter(kind="enterprise_unverified").exists()


def test_reads_without_a_key_show_only_what_enterprises_made_public(client, city, client311, api):
    hidden = city.file(title="不公开的诉求")
    shown = city.file(title="公开的诉求")
    appeal_actions.reject(shown, acting_user=city.office_user, reason="不属于受理范围")
    api.force_authenticate(city.ent_user)
    answer = api.post(
        "/api/v1/open311/publications", {"appeal": shown.pk, "public": True}, format="json"
    )
    assert answer.status_code == 200 and answer.json() == {"appeal": shown.pk, "public": True}
    api.force_authenticate(city.other_user)
    assert (
        api.post(
            "/api/v1/open311/publications", {"appeal": hidden.pk, "public": True}, format="json"
        ).status_code
        == 404
    )
    rows = validate(_json(client.get(f"{V2}/requests.json")), "requests.json")
    assert [row["service_request_id"] for row in rows] == [shown.number]
    (row,) = rows
    assert row["status"] == "closed" and row["status_notes"] == "不属于受理范围"
    assert row["media_url"] is None and row["requested_datetime"].endswith("+08:00")
    assert not {"email", "phone", "first_name", "last_name"} & set(row)
    for path in (f"{V2}/requests/{shown.number}.json", f"{V2}/request/{shown.number}.json"):
        assert validate(_json(client.get(path)), "requests.json")[0] == row
    _error(client.get(f"{V2}/requests/{hidden.number}.json"), 404)
    root = _xml(client.get(f"{V2}/requests.xml"))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == shown.number
    assert root.find("request/media_url").text is None


def test_a_key_also_reads_its_own_submissions_with_their_media(client, city, client311):
    other, other_key = actions.create_integration(name="otherapp", kind=Integration.Kind.OPEN311)
    media = "https://img.example.org/power.jpg"
    (mine,) = _json(_post(client, client311.key, media_url=media), 201)
    (theirs,) = _json(_post(client, other_key), 201)
    rows = validate(
        _json(client.get(f"{V2}/requests.json", {"api_key": client311.key})), "requests.json"
    )
    assert [row["service_request_id"] for row in rows] == [mine["service_request_id"]]
    assert rows[0]["media_url"] == media and rows[0]["lat"] == 36.6683
    assert rows[0]["description"] == "厂区新增用电容量申请两个月没有答复。"  # no contacts
    assert _json(client.get(f"{V2}/requests.json")) == []
    _error(
        client.get(
            f"{V2}/requests/{theirs['service_request_id']}.json", {"api_key": client311.key}
        ),
        404,
    )


def test_the_window_and_the_filters(client, city, client311, monkeypatch):
    old = city.file(when=clock.now() - timedelta(days=100))
    recent = [city.file() for _ in range(3)]
    appeal_actions.reject(recent[0], acting_user=city.office_user, reason="重复")
    for appeal in [old, *recent]:
        actions.set_public(appeal, acting_user=city.ent_user, public=True)

    def listed(**query):
        rows = _json(client.get(f"{V2}/requests.json", query))
        return [row["service_request_id"] for row in rows]

    assert old.number not in listed() and len(listed()) == 3
    start = (clock.now() - timedelta(days=120)).isoformat()
    assert old.number in listed(start_date=start)
    assert listed(status="closed") == [recent[0].number]
    assert recent[0].number not in listed(status="open")
    assert listed(service_request_id=f"{old.number},{recent[1].number}") == [
        recent[1].number,
        old.number,
    ]
    assert "start_date" in _error(
        client.get(f"{V2}/requests.json", {"start_date": "2026-01-01T00:00:00"}), 400
    )
    monkeypatch.setattr("qitong.integrations.open311.MOST_RESULTS", 2)
    assert len(listed()) == 2


def test_the_key_command_prints_a_working_key(client, city):
    out = io.StringIO()
    call_command("open311", "key", "cli-app", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("q311_")
    _json(client.get(f"{V2}/requests.json", {"api_key": key}))
    call_command("open311", "key", "cli-app", stdout=io.StringIO())  # a new key
    _error(client.get(f"{V2}/requests.json", {"api_key": key}), 403)  # the old one stops
