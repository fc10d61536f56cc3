"""Key projects' pages: the registry, a project, registering and editing, the unit's monthly
report, filing a problem, the rankings, and the public board without login."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals.models import Appeal
from qitong.projects import actions
from qitong.projects.models import Photo, Progress, Project
from tests.appeals.files import png
from tests.projects.conftest import PLAN, ProjectCity

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(db):
    return ProjectCity()


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def _february(time_machine):
    time_machine.move_to("2026-02-15 10:00 +0800", tick=False)


def signed_in(client, user):
    client.force_login(user)
    return client


def page(client, url, status=200, **params):
    response = client.get(url, params)
    assert response.status_code == status
    return response.content.decode()


def rows(html):
    return [int(pk) for pk in re.findall(r'data-testid="project-(\d+)"', html)]


@pytest.fixture
def two(city):
    lixia = city.register("历下智能制造产业园", milestones=PLAN)
    shizhong = city.register("市中新能源项目", district=city.shizhong, unit=city.gxj)
    return lixia, shizhong


def test_the_registry_lists_what_each_user_may_see(client, city, two):
    lixia, shizhong = two
    html = page(signed_in(client, city.office_user), "/projects/")
    assert set(rows(html)) == {lixia.pk, shizhong.pk}
    assert "登记重点项目" in html and "导出 Excel" in html
    client.logout()
    html = page(signed_in(client, city.fgw_user), "/projects/")
    assert rows(html) == [lixia.pk]
    assert "登记重点项目" not in html
    filtered = page(client, "/projects/", district="shizhong")
    assert rows(filtered) == []


def test_the_registry_is_for_government_staff(client, city, two):
    assert client.get("/projects/").status_code == 302  # to the login
    signed_in(client, city.ent_user)
    assert client.get("/projects/").status_code == 403


@pytest.mark.parametrize("count", [2, 8])
def test_the_registry_reads_a_fixed_number_of_queries(
    client, city, count, django_assert_num_queries
):
    for number in range(count):
        project = city.register(f"项目{number}")
        city.report(project, "2026-01", "100", when=project.created_at)
    city.close("2026-01")
    signed_in(client, city.office_user)
    with django_assert_num_queries(QUERIES):
        html = page(client, "/projects/")
    assert len(rows(html)) == count


# session, user, the user's unit (its scope), the latest ranked month, the page's count
# and rows, the menu's unread count, the filter's choices (district, unit, leader)
QUERIES = 10


def test_the_project_page_shows_plan_reports_photos_problems_and_actions(client, city, two):
    lixia, _shizhong = two
    started = lixia.milestones.get(name="开工")
    city.report(
        lixia,
        "2026-01",
        "120",
        problems=["施工用电增容未批复"],
        milestones=[started.pk],
        photos=[SimpleUploadedFile("现场.png", png(), content_type="image/png")],
    )
    html = page(signed_in(client, city.office_user), f"/projects/{lixia.pk}/")
    filed = Appeal.objects.get(channel="project")  # the problem, filed with its report
    for words in (
        "推进计划",
        "主体封顶",
        "2026-01：本月完成投资 120.00 万元",
        "施工用电增容未批复",
        f"已转诉求 {filed.number}",
        "修改项目",
        "结束项目",
    ):
        assert words in html
    photo = Photo.objects.get()
    assert f"/projects/{lixia.pk}/photos/{photo.pk}/" in html
    image = client.get(f"/projects/{lixia.pk}/photos/{photo.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    client.logout()
    html = page(signed_in(client, city.fgw_user), f"/projects/{lixia.pk}/")
    assert "填报月度进展" in html and "修改项目" not in html
    assert f"已转诉求 {filed.number}" in html


def test_a_project_out_of_sight_is_404(client, city, two):
    _lixia, shizhong = two
    signed_in(client, city.fgw_user)
    assert client.get(f"/projects/{shizhong.pk}/").status_code == 404
    assert client.get(f"/projects/{shizhong.pk}/report/").status_code == 404


def test_the_office_registers_a_project_from_the_form(client, city):
    signed_in(client, city.office_user)
    assert "登记重点项目" in page(client, "/projects/new/")
    form = {
        "name": "槐荫物流园",
        "enterprise": city.company.uscc,
        "planned_investment": "800",
        "district": "lixia",
        "leader": "leader",
        "unit": "fgw",
        "team": ["fgw", "lixia-gov"],
        "start_month": "2026-02",
        "public": "true",
        "milestones[0]name": "开工",
        "milestones[0]month": "2026-02",
        "milestones[0]investment": "100",
        "milestones[1]name": "竣工",
        "milestones[1]month": "2026-10",
        "milestones[1]investment": "800",
        "milestones[2]name": "",
        "milestones[2]month": "",
        "milestones[2]investment": "",
    }
    response = client.post("/projects/new/", form)
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert project.milestones.count() == 2 and project.public
    assert set(project.team.values_list("username", flat=True)) == {"fgw", "lixia-gov"}


def test_a_bad_form_comes_back_with_each_field_s_error(client, city):
    signed_in(client, city.office_user)
    response = client.post(
        "/projects/new/",
        {
            "name": "",
            "planned_investment": "0",
            "milestones[0]name": "开工",
            "milestones[0]month": "2026-02",
            "milestones[0]investment": "",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('<span class="error">不能为空。</span>') >= 2
    assert "应大于 0。" in html
    assert "第 1 个节点的计划累计投资：不能为空。" in html
    assert 'value="开工"' in html  # what was typed stays
    assert not Project.objects.exists()


def test_only_the_office_opens_the_forms(client, city, two):
    lixia, _shizhong = two
    signed_in(client, city.fgw_user)
    assert client.get("/projects/new/").status_code == 403
    assert client.get(f"/projects/{lixia.pk}/edit/").status_code == 403


def test_the_office_edits_from_the_form(client, city, two):
    lixia, _shizhong = two
    signed_in(client, city.office_user)
    html = page(client, f"/projects/{lixia.pk}/edit/")
    assert 'value="历下智能制造产业园"' in html and 'value="主体封顶"' in html
    form = {
        "name": "历下智能制造产业园（一期）",
        "enterprise": city.company.uscc,
        "planned_investment": "1200",
        "district": "lixia",
        "leader": "mayor",
        "unit": "fgw",
        "start_month": "2026-01",
        **{
            f"milestones[{n}]{key}": str(row[key])
            for n, row in enumerate(PLAN)
            for key in ("name", "month", "investment")
        },
    }
    response = client.post(f"/projects/{lixia.pk}/edit/", form)
    assert response.status_code == 302
    lixia.refresh_from_db()
    assert (lixia.name, lixia.leader, lixia.public) == (
        "历下智能制造产业园（一期）",
        city.mayor_user,
        False,
    )


def test_the_unit_reports_from_the_form_with_a_photo(client, city, two):
    lixia, _shizhong = two
    signed_in(client, city.fgw_user)
    html = page(client, f"/projects/{lixia.pk}/report/")
    assert "本月完成投资（万元）" in html and "开工" in html
    response = client.post(
        f"/projects/{lixia.pk}/report/",
        {
            "month": "2026-02",
            "investment": "150",
            "text": "主体施工",
            "problems": ["用电增容", "", ""],
            "milestones": [str(lixia.milestones.get(name="开工").pk)],
            "photos": [SimpleUploadedFile("现场.png", png(), content_type="image/png")],
        },
    )
    assert response.status_code == 302
    report = Progress.objects.get()
    assert (report.month, report.photos.count(), report.problems.count()) == ("2026-02", 1, 1)
    again = client.post(
        f"/projects/{lixia.pk}/report/",
        {"month": "2026-02", "investment": "1", "text": "改一下"},
    )
    assert again.status_code == 409
    assert "2026年2月的进展已于" in again.content.decode()


def test_a_bad_report_names_its_field(client, city, two):
    lixia, _shizhong = two
    signed_in(client, city.fgw_user)
    response = client.post(
        f"/projects/{lixia.pk}/report/", {"month": "2026-03", "investment": "x", "text": "a"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "不能填报以后月份的进展。" in html and "应为数字（万元）。" in html
    assert not Progress.objects.exists()


def test_the_office_files_a_problem_from_the_page(client, city, two):
    lixia, _shizhong = two
    report = city.report(lixia, "2026-01", "100")
    problem = report.problems.create(project=lixia, text="用地指标")  # recorded unfiled, before
    signed_in(client, city.office_user)
    response = client.post(f"/projects/{lixia.pk}/problems/{problem.pk}/file/", follow=True)
    appeal = Appeal.objects.get(channel="project")
    html = response.content.decode()
    assert "问题已转为诉求。" in html and f"已转诉求 {appeal.number}" in html
    again = client.post(f"/projects/{lixia.pk}/problems/{problem.pk}/file/", follow=True)
    assert f"该问题已转为诉求 {appeal.number}。" in again.content.decode()


def test_the_office_finishes_a_project_from_the_page(client, city, two):
    lixia, _shizhong = two
    signed_in(client, city.office_user)
    response = client.post(f"/projects/{lixia.pk}/finish/", {"state": "completed"}, follow=True)
    assert "项目已结束。" in response.content.decode()
    lixia.refresh_from_db()
    assert lixia.state == "completed"


def test_the_rankings_page_shows_places_and_warnings(client, city, two):
    lixia, shizhong = two
    for month in ("2026-01", "2026-02"):
        city.report(
            lixia,
            month,
            "100",
            milestones=[] if month != "2026-01" else [lixia.milestones.get(name="开工").pk],
        )
        city.report(shizhong, month, "10")
        city.close(month)
    html = page(signed_in(client, city.leader_user), "/projects/rankings/")
    assert 'data-testid="rank-district-shizhong"' in html
    assert 'data-testid="warning-shizhong"' in html and "黄色预警" in html
    january = page(client, "/projects/rankings/", month="2026-01")
    assert "本月无预警。" in january
    page(client, "/projects/rankings/", status=400, month="1999-01")
    client.logout()
    signed_in(client, city.ent_user)
    assert client.get("/projects/rankings/").status_code == 403


def test_the_board_needs_no_login_and_shows_nothing_private(client, city, two):
    lixia, shizhong = two
    hidden = city.register("保密项目", public=False)
    withdrawn = city.register("撤销项目")
    actions.finish_project(withdrawn, acting_user=city.office_user, state="withdrawn")
    city.report(lixia, "2026-01", "300", problems=["征地拆迁问题"], text="现场形象进度描述")
    city.close("2026-01")

    html = page(client, "/projects/board/")
    assert "历下智能制造产业园" in html and "市中新能源项目" in html
    assert "历下区人民政府" in html and "25.0%" in html
    # 开工 due in January was not reported reached: lagging; Shizhong reported nothing.
    assert re.search(r"历下智能制造产业园.*?tag-warning\">滞后<", html, re.S)
    assert re.search(r"市中新能源项目.*?tag-danger\">无进展<", html, re.S)
    for private in (
        "保密项目",
        "撤销项目",
        city.company.name,
        city.company.uscc,
        "征地拆迁问题",
        "现场形象进度描述",
        "1200",
        "300.00",
        city.leader_user.username,
        "市发展和改革委员会",
    ):
        assert private not in html, private
    assert hidden.public is False
    assert 'href="/projects/' not in html.split("<main", 1)[1]  # no road to a project page


def test_the_menus_lead_to_the_registry(client, city):
    for user in (city.office_user, city.fgw_user, city.leader_user):
        html = page(signed_in(client, user), "/projects/")
        assert '<a href="/projects/" aria-current="page">重点项目</a>' in html
        client.logout()
