"""Key projects over HTTP: the list, registering, the monthly report with photos, problems,
and the contract's errors (400 by field, 403, 404, 409)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals.models import Appeal
from tests.appeals.files import png
from tests.conftest import client_for
from tests.projects.conftest import PLAN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def _february(time_machine):
    time_machine.move_to("2026-02-15 10:00 +0800", tick=False)


BODY = {
    "name": "槐荫新能源电池项目",
    "enterprise": "91370102MA3C00002",
    "planned_investment": "5000",
    "district": "lixia",
    "leader": "leader",
    "unit": "fgw",
    "team": ["fgw", "lixia-gov"],
    "start_month": "2026-01",
    "milestones": PLAN,
}


def register(city, **changes):
    body = dict(BODY, **changes)
    body["enterprise"] = city.key_company.uscc
    return client_for(city.office_user).post("/api/v1/projects", body, format="json")


def test_the_office_registers_a_project(city):
    response = register(city)
    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "槐荫新能源电池项目"
    assert data["enterprise"] == {"uscc": city.key_company.uscc, "name": "济南重工集团有限公司"}
    assert data["district"] == {"code": "lixia", "name": "历下区人民政府"}
    assert data["leader"]["username"] == "leader"
    assert data["team"] == ["fgw", "lixia-gov"] or sorted(data["team"]) == ["fgw", "lixia-gov"]
    assert [m["name"] for m in data["milestones"]] == ["开工", "主体封顶", "竣工投产"]
    assert (data["planned_investment"], data["done"], data["progress"]) == (
        "5000.00",
        "0.00",
        "0.0",
    )
    assert data["status"] is None and data["reports"] == []


def test_a_bad_body_is_400_naming_each_field(city):
    response = register(city, planned_investment="abc", district="nowhere", milestones=[])
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "planned_investment": ["应为数字（万元）。"],
        "district": ["区县 nowhere 不存在。"],
        "milestones": ["请至少填写一个计划节点。"],
    }


def test_a_unit_may_not_register(city):
    response = client_for(city.fgw_user).post("/api/v1/projects", BODY, format="json")
    assert response.status_code == 403


def test_the_list_is_what_the_caller_may_see_filtered(city):
    city.register("历下项目")
    city.register("市中项目", district=city.shizhong, unit=city.gxj)
    office = client_for(city.office_user)
    names = [row["name"] for row in office.get("/api/v1/projects").json()["results"]]
    assert sorted(names) == ["历下项目", "市中项目"]
    only = office.get("/api/v1/projects", {"district": "shizhong"}).json()
    assert [row["name"] for row in only["results"]] == ["市中项目"]
    assert office.get("/api/v1/projects", {"state": "bogus"}).status_code == 400
    unit = client_for(city.gxj_user).get("/api/v1/projects").json()
    assert [row["name"] for row in unit["results"]] == ["市中项目"]
    assert client_for(city.ent_user).get("/api/v1/projects").json()["count"] == 0


def test_someone_else_s_project_is_404(city):
    project = city.register(district=city.shizhong, unit=city.gxj)
    assert client_for(city.fgw_user).get(f"/api/v1/projects/{project.pk}").status_code == 404
    assert client_for(city.district_user).get(f"/api/v1/projects/{project.pk}").status_code == 404


def test_the_unit_reports_in_json_and_a_retry_answers_the_first(city):
    project = city.register()
    client = client_for(city.fgw_user)
    body = {"month": "2026-02", "investment": 150, "text": "桩基施工完成", "problems": ["用电增容"]}
    first = client.post(f"/api/v1/projects/{project.pk}/progress", body, format="json")
    assert first.status_code == 201
    again = client.post(f"/api/v1/projects/{project.pk}/progress", body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    changed = client.post(
        f"/api/v1/projects/{project.pk}/progress", {**body, "investment": 1}, format="json"
    )
    assert changed.status_code == 409
    assert changed.json()["error"] == "conflict" and changed.json()["status"] == "active"
    detail = client.get(f"/api/v1/projects/{project.pk}").json()
    assert (detail["done"], detail["progress"]) == ("150.00", "12.5")
    assert detail["reports"][0]["problems"][0]["text"] == "用电增容"


def test_the_unit_reports_with_photos_in_multipart(city):
    project = city.register()
    client = client_for(city.fgw_user)
    response = client.post(
        f"/api/v1/projects/{project.pk}/progress",
        {
            "month": "2026-02",
            "investment": "80",
            "text": "基础施工",
            "problems": ["用地指标", "环评"],
            "photos": [
                SimpleUploadedFile("一.png", png(), content_type="image/png"),
                SimpleUploadedFile("二.png", png(), content_type="image/png"),
            ],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [photo["name"] for photo in data["photos"]] == ["一.png", "二.png"]
    assert [problem["text"] for problem in data["problems"]] == ["用地指标", "环评"]
    photo = client.get(f"/api/v1/projects/{project.pk}/photos/{data['photos'][0]['id']}")
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == png()
    other = client_for(city.gxj_user).get(
        f"/api/v1/projects/{project.pk}/photos/{data['photos'][0]['id']}"
    )
    assert other.status_code == 404


def test_report_errors_follow_the_contract(city):
    project = city.register()
    url = f"/api/v1/projects/{project.pk}/progress"
    bad = client_for(city.fgw_user).post(
        url, {"month": "2026-05", "investment": 1, "text": "x"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {
        "month": ["不能填报以后月份的进展。"]
    }
    forbidden = client_for(city.office_user).post(
        url, {"month": "2026-02", "investment": 1, "text": "x"}, format="json"
    )
    assert forbidden.status_code == 403
    assert client_for(city.gxj_user).post(url, {}, format="json").status_code == 404


def test_the_office_files_a_problem_through_the_api(city):
    project = city.register()
    report = city.report(project, "2026-02", "150")
    problem = report.problems.create(project=project, text="用电增容")  # left unfiled
    url = f"/api/v1/projects/{project.pk}/problems/{problem.pk}/file"
    assert client_for(city.fgw_user).post(url, {}, format="json").status_code == 403
    response = client_for(city.office_user).post(url, {}, format="json")
    assert response.status_code == 201
    appeal = Appeal.objects.get(number=response.json()["appeal"])
    assert appeal.channel == "project"
    assert client_for(city.office_user).post(url, {}, format="json").status_code == 409


def test_the_office_edits_and_finishes(city):
    project = city.register()
    office = client_for(city.office_user)
    edited = office.patch(f"/api/v1/projects/{project.pk}", {"name": "新名称"}, format="json")
    assert edited.status_code == 200 and edited.json()["name"] == "新名称"
    finished = office.post(
        f"/api/v1/projects/{project.pk}/finish", {"state": "completed"}, format="json"
    )
    assert finished.status_code == 200 and finished.json()["state"] == "completed"
    again = office.post(
        f"/api/v1/projects/{project.pk}/finish", {"state": "completed"}, format="json"
    )
    assert again.status_code == 409


def test_the_rankings_of_a_month(city):
    lixia = city.register("历下项目")
    shizhong = city.register("市中项目", district=city.shizhong, unit=city.gxj)
    city.report(lixia, "2026-01", "100")
    city.report(shizhong, "2026-01", "10")
    city.close("2026-01")
    data = client_for(city.fgw_user).get("/api/v1/projects/rankings").json()
    assert data["month"] == "2026-01"
    assert [(row["unit"], row["rank"], row["last"]) for row in data["district"]] == [
        ("lixia", 1, False),
        ("shizhong", 2, True),
    ]
    assert data["warnings"] == []
    assert client_for(city.ent_user).get("/api/v1/projects/rankings").status_code == 403
    bad = client_for(city.fgw_user).get("/api/v1/projects/rankings", {"month": "2026-13"})
    assert bad.status_code == 400
