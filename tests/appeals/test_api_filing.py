"""Filing through the API: who may file for whom, repeats, and bad bodies that leave no trace."""

import pytest
from rest_framework.test import APIClient

from qitong.appeals.models import Appeal, Attachment, Event
from qitong.core.models import ApiToken
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def body(city, **fields):
    data = {
        "enterprise": city.company.uscc,
        "title": "用电增容审批缓慢",
        "content": "新厂房需要增容 2000 千伏安，申请两个月未批复。",
        "channel": "web",
        "category": "factors-power",
        "major": False,
        "contact_name": "王经理",
        "contact_phone": "13800000000",
    }
    data.update(fields)
    return data


FORBIDDEN = {"error": "forbidden", "message": "您无权执行此操作。"}
UNAUTHORIZED = {"error": "unauthorized", "message": "未登录或令牌无效。"}
INVALID = "请求内容有误，请检查后重试。"


def counts():
    return Appeal.objects.count(), Event.objects.count(), Attachment.objects.count()


def test_an_enterprise_files_its_own_appeal(city):
    response = client_for(city.ent_user).post("/api/v1/appeals", body(city), format="json")
    assert response.status_code == 201
    appeal = response.json()
    assert appeal["number"].startswith("QT-")
    assert appeal["status"] == "submitted"
    assert appeal["enterprise"] == {"uscc": city.company.uscc, "name": "济南泉华电子有限公司"}
    assert appeal["category"] == "factors-power"
    assert appeal["handling_mode"] is None
    assert appeal["lead_unit"] is None
    assert appeal["co_units"] == []
    assert appeal["overdue"] is False
    assert appeal["rating"] is None
    assert appeal["supervisions"] == []
    assert [(e["action"], e["actor"]) for e in appeal["events"]] == [("submit", "ent")]
    assert appeal["events"][0]["at"].endswith("+08:00")
    assert appeal["created_at"].endswith("+08:00")


def test_the_office_files_for_an_enterprise_from_the_hotline(city):
    response = client_for(city.office_user).post(
        "/api/v1/appeals",
        body(city, channel="hotline12345", external_id="12345-0001"),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["channel"] == "hotline12345"


def test_the_same_channel_and_external_id_returns_the_first_appeal(city):
    client = client_for(city.office_user)
    first = client.post(
        "/api/v1/appeals", body(city, channel="open311", external_id="req-77"), format="json"
    )
    before = counts()
    again = client.post(
        "/api/v1/appeals",
        body(city, channel="open311", external_id="req-77", title="重复推送"),
        format="json",
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "用电增容审批缓慢"
    assert counts() == before


def test_another_enterprise_cannot_learn_a_case_through_its_external_id(city):
    client_for(city.ent_user).post(
        "/api/v1/appeals", body(city, channel="mobile", external_id="m-1"), format="json"
    )
    before = counts()
    response = client_for(city.other_user).post(
        "/api/v1/appeals",
        body(city, enterprise=city.other_company.uscc, channel="mobile", external_id="m-1"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": INVALID,
        "fields": {"external_id": ["该渠道的外部编号已被使用。"]},
    }
    assert "用电增容" not in response.content.decode()
    assert counts() == before


def test_an_enterprise_cannot_file_for_another_enterprise(city):
    before = counts()
    response = client_for(city.ent_user).post(
        "/api/v1/appeals", body(city, enterprise=city.other_company.uscc), format="json"
    )
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert counts() == before


def test_an_unknown_enterprise_is_400_on_enterprise(city):
    before = counts()
    response = client_for(city.ent_user).post(
        "/api/v1/appeals", body(city, enterprise="91370102MA3C99999X"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": INVALID,
        "fields": {"enterprise": ["企业不存在。"]},
    }
    assert counts() == before


def test_a_unit_may_not_file(city):
    before = counts()
    response = client_for(city.fgw_user).post("/api/v1/appeals", body(city), format="json")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert counts() == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "不能为空。"),
        ({"title": "   "}, "title", "不能为空。"),
        ({"title": "长" * 201}, "title", "不能超过 200 个字符。"),
        ({"content": ""}, "content", "不能为空。"),
        ({"content": "长" * 5001}, "content", "不能超过 5000 个字符。"),
        ({"category": "no-such-category"}, "category", "分类不存在。"),
        ({"channel": "fax"}, "channel", "渠道 fax 无效。"),
    ],
)
def test_a_bad_body_is_400_with_a_chinese_field_message_and_writes_nothing(
    city, fields, field, message
):
    before = counts()
    response = client_for(city.ent_user).post(
        "/api/v1/appeals", body(city, **fields), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid", "message": INVALID, "fields": {field: [message]}}
    assert counts() == before


def test_every_mistake_of_a_body_is_reported_at_once(city):
    response = client_for(city.ent_user).post(
        "/api/v1/appeals", body(city, title="", content="", category="nope"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": INVALID,
        "fields": {
            "title": ["不能为空。"],
            "content": ["不能为空。"],
            "category": ["分类不存在。"],
        },
    }


def test_malformed_json_is_400_and_writes_nothing(city):
    before = counts()
    response = client_for(city.ent_user).post(
        "/api/v1/appeals", data='{"title": "半截', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": "请求内容不是有效的 JSON。",
        "fields": {},
    }
    assert counts() == before


def test_a_token_is_sent_as_bearer_and_nothing_works_without_it(city):
    _token, key = ApiToken.issue(city.ent_user)
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/appeals").status_code == 200

    anonymous = APIClient()
    before = counts()
    for response in [
        anonymous.get("/api/v1/appeals"),
        anonymous.post("/api/v1/appeals", body(city), format="json"),
        anonymous.get("/api/v1/units"),
    ]:
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
        assert response["WWW-Authenticate"] == "Bearer"
    assert counts() == before

    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = wrong.get("/api/v1/appeals")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    old_keyword = APIClient()
    old_keyword.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = old_keyword.get("/api/v1/appeals")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
