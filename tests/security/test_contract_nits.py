"""The contract nits of the outside probe (issue 15), each as it was reproduced."""

import json

import pytest

from qitong.appeals.models import Appeal
from qitong.core import clock
from tests.appeals.conftest import City
from tests.appeals.test_api_filing import body
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(db):
    return City()


def test_a_3_mb_body_gets_the_json_error(city):
    api = client_for(city.ent_user)
    big = json.dumps(body(city, content="企" * (3 * 1024 * 1024 // 3)))
    response = api.post("/api/v1/appeals", big, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["error"] == "invalid"
    assert "过大" in answer["message"]
    assert not Appeal.objects.exists()


def test_an_over_long_multipart_file_name_is_not_called_invalid_json(city):
    appeal = city.dispatched(when=clock.now())
    api = client_for(city.office_user)
    # Django gives up on a part's headers past 10 KB ("max total header size exceeded").
    boundary = "qitong-boundary"
    raw = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{"a" * 20000}.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
        "%PDF-1.4\n%%EOF\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    response = api.post(
        f"/api/v1/appeals/{appeal.pk}/attachments",
        raw,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert (
        response.json()["message"] == "上传的表单无法解析（例如文件名或表单头过长），请检查后重试。"
    )


def test_a_10000_character_phone_is_a_400_naming_the_field(city):
    api = client_for(city.ent_user)
    response = api.post("/api/v1/appeals", body(city, contact_phone="1" * 10000), format="json")
    assert response.status_code == 400
    assert "contact_phone" in response.json()["fields"]
    response = api.post("/api/v1/appeals", body(city, contact_name="王" * 51), format="json")
    assert response.status_code == 400
    assert "contact_name" in response.json()["fields"]
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    "title", ["\u200b", "\u200b\u200c\u200d\ufeff", " \u2060 \u00ad ", "\u3000\u200b"]
)
def test_a_title_of_only_invisible_characters_is_refused(city, title):
    api = client_for(city.ent_user)
    response = api.post("/api/v1/appeals", body(city, title=title), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["title"]
    assert not Appeal.objects.exists()


def test_an_enterprise_sees_the_unit_not_the_clerk_and_no_urge_notes(city, client):
    appeal = city.dispatched(when=clock.now())
    staff = client_for(city.office_user)
    staff.post(f"/api/v1/appeals/{appeal.pk}/urge", {"note": "内部：该单位屡次拖延"}, format="json")
    client_for(city.fgw_user).post(f"/api/v1/appeals/{appeal.pk}/sign", {}, format="json")

    seen_by_office = staff.get(f"/api/v1/appeals/{appeal.pk}").json()["events"]
    assert {"office", "fgw"} <= {event["actor"] for event in seen_by_office}
    assert "内部：该单位屡次拖延" in [event["note"] for event in seen_by_office]

    seen_by_owner = client_for(city.ent_user).get(f"/api/v1/appeals/{appeal.pk}").json()["events"]
    actors = {event["actor"] for event in seen_by_owner}
    assert not actors & {"office", "fgw"}
    assert actors <= {city.ent_user.username, None}
    by_action = {event["action"]: event for event in seen_by_owner}
    assert by_action["urge"]["note"] == ""
    assert by_action["sign"]["unit"] == "fgw"
    assert by_action["dispatch"]["unit"] in ("office", "fgw")

    client.force_login(city.ent_user)
    page = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "内部：该单位屡次拖延" not in page
    assert "市发展和改革委员会" in page
    client.force_login(city.office_user)
    assert "内部：该单位屡次拖延" in client.get(f"/appeals/{appeal.pk}/").content.decode()
