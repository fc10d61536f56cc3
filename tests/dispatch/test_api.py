"""``GET /api/v1/appeals/{id}/suggestions`` and ``/similar``: staff only, scoped like the case."""

import pytest
from rest_framework.test import APIClient

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Category
from qitong.core.models import ApiToken
from qitong.dispatch.models import KeywordRule, Suggestion
from tests.appeals.conftest import at

TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，影响投产，希望尽快解决。"
REWORDED = "新厂房用电增容申请一直未批复，变压器容量不够，影响投产，请尽快解决！"
MONDAY = at("2026-11-02 10:00")


def api(user):
    _token, key = ApiToken.issue(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def case(city):
    return city.file(title="用电增容未批", content=TEXT, when=MONDAY)


def test_suggestions_name_units_and_categories_with_confidence(city, case):
    power = Category.objects.get(code="factors-power")
    KeywordRule.objects.create(keywords="用电 变压器", lead_unit=city.fgw, category=power)
    KeywordRule.objects.create(keywords="投产", lead_unit=city.gxj)
    answer = api(city.office_user).get(f"/api/v1/appeals/{case.pk}/suggestions")
    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == "rules"
    assert [u["code"] for u in body["units"]] == ["fgw", "gxj"]
    assert body["units"][0]["name"] == "市发展和改革委员会"
    assert sum(u["confidence"] for u in body["units"]) == pytest.approx(1)
    assert body["categories"] == [{"code": "factors-power", "name": "用电", "confidence": 1.0}]
    assert not Suggestion.objects.exists()  # reading writes nothing


def test_similar_lists_the_cases_the_caller_may_see_with_a_score(city, case):
    mine = city.file(title="用电增容未批", content=REWORDED, when=MONDAY)
    theirs = city.file(city.other_company, title="用电增容未批", content=REWORDED, when=MONDAY)
    city.file(title="招聘补贴", content="申请稳岗补贴与招聘补贴的材料清单是什么？", when=MONDAY)
    answer = api(city.office_user).get(f"/api/v1/appeals/{case.pk}/similar", {"limit": 5})
    assert answer.status_code == 200
    body = answer.json()
    assert body["threshold"] == 0.7
    found = {row["number"]: row for row in body["results"]}
    assert set(found) == {mine.number, theirs.number}
    row = found[theirs.number]
    assert row["id"] == theirs.pk and row["status"] == "submitted"
    assert row["enterprise"]["name"] == "济南其他贸易有限公司"
    assert row["likely"] is True and 0.7 <= row["score"] < 1
    assert row["same_enterprise"] is False and found[mine.number]["same_enterprise"] is True
    assert row["created_at"].startswith("2026-11-02T10:00:00+08:00")

    one = api(city.office_user).get(f"/api/v1/appeals/{case.pk}/similar", {"limit": 1}).json()
    assert len(one["results"]) == 1


def test_a_unit_sees_only_the_similar_cases_it_handles(city):
    led = city.dispatched(title="用电增容未批", content=TEXT, when=MONDAY)
    near = city.dispatched(title="用电增容未批", content=REWORDED, when=MONDAY, lead="gxj")
    fgw = api(city.fgw_user)
    assert fgw.get(f"/api/v1/appeals/{led.pk}/similar").json()["results"] == []
    assert fgw.get(f"/api/v1/appeals/{near.pk}/similar").status_code == 404
    gxj = api(city.gxj_user).get(f"/api/v1/appeals/{near.pk}/similar").json()
    assert gxj["results"] == []
    office = api(city.office_user).get(f"/api/v1/appeals/{near.pk}/similar").json()
    assert [row["id"] for row in office["results"]] == [led.pk]


@pytest.mark.parametrize("path", ["suggestions", "similar"])
def test_enterprises_get_403_and_others_cases_404(city, case, path):
    url = f"/api/v1/appeals/{case.pk}/{path}"
    assert api(city.ent_user).get(url).status_code == 403  # even its own case
    assert api(city.district_user).get(url).status_code == 404  # the city office's case
    assert api(city.fgw_user).get(url).status_code == 404  # not its case
    assert APIClient().get(url).status_code in (401, 403)
    assert api(city.leader_user).get(url).status_code == 200
    assert api(city.office_user).get("/api/v1/appeals/999999/" + path).status_code == 404


@pytest.mark.parametrize("limit", ["0", "21", "many"])
def test_a_bad_limit_is_refused_naming_the_field(city, case, limit):
    answer = api(city.office_user).get(f"/api/v1/appeals/{case.pk}/similar", {"limit": limit})
    assert answer.status_code == 400
    assert "limit" in answer.json()["fields"]


def test_a_closed_primary_is_still_listed_while_recent(city, case):
    near = city.file(city.other_company, title="用电增容未批", content=REWORDED, when=MONDAY)
    appeal_actions.reject(near, acting_user=city.office_user, at=MONDAY, reason="不属于涉企事项")
    # Rejected cases are not compared with (they are no case to follow).
    body = api(city.office_user).get(f"/api/v1/appeals/{case.pk}/similar").json()
    assert body["results"] == []
