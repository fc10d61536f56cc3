"""The responsible unit's monthly report: one a month, until the month is ranked."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals.models import Appeal
from qitong.core.errors import Conflict
from qitong.notify.models import Message
from qitong.projects import actions
from qitong.projects.models import Photo, Problem, Progress
from tests.appeals.files import PDF, png
from tests.projects.conftest import PLAN, in_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def report(city, project, **fields):
    data = {
        "acting_user": city.fgw_user,
        "at": in_month("2026-02"),
        "month": "2026-02",
        "investment": "120.5",
        "text": "主体结构施工至三层。",
    }
    data.update(fields)
    return actions.report_progress(project, **data)


def test_the_unit_reports_investment_visible_progress_photos_and_problems(city):
    project = city.register(milestones=PLAN)
    started = project.milestones.get(name="开工")
    photo = SimpleUploadedFile("现场.png", png(), content_type="image/png")
    saved, created = report(
        city,
        project,
        problems=["施工用电增容未批复", " ", "临时道路占用许可"],
        milestones=[started.pk],
        photos=[photo],
    )
    assert created
    assert (saved.month, saved.investment, saved.reported_by) == (
        "2026-02",
        Decimal("120.50"),
        city.fgw_user,
    )
    assert list(saved.problems.values_list("text", flat=True)) == [
        "施工用电增容未批复",
        "临时道路占用许可",
    ]
    [stored] = saved.photos.all()
    assert (stored.name, stored.content_type) == ("现场.png", "image/png")
    assert stored.file.read() == png()
    started.refresh_from_db()
    assert (started.reached_month, started.reached_in) == ("2026-02", saved)
    event = project.events.get(kind="report")
    assert event.data == {"month": "2026-02", "investment": "120.50", "problems": 2, "photos": 1}


def test_each_problem_reaches_the_office_as_a_new_appeal(city):
    project = city.register()
    report(city, project, problems=["施工用电增容未批复", "临时用地审批慢"])
    appeals = Appeal.objects.filter(channel="project")
    assert appeals.count() == 2
    told = Message.objects.filter(kind="submit").values_list("recipient__username", flat=True)
    assert sorted(told) == ["office", "office"]  # the city office triages them like any appeal


def test_the_same_report_again_gives_the_first_and_a_different_one_is_refused(city):
    project = city.register()
    first, _created = report(city, project, problems=["用地指标"])
    again, created = report(city, project, problems=["用地指标"])
    assert (again, created) == (first, False)
    with pytest.raises(Conflict) as refused:
        report(city, project, investment="99")
    assert "2026年2月的进展已于" in refused.value.message
    assert Progress.objects.count() == 1
    assert Problem.objects.count() == 1


def test_a_ranked_month_is_closed_to_reports(city):
    project = city.register()
    city.close("2026-02")
    with pytest.raises(Conflict) as refused:
        report(city, project, at=in_month("2026-03"))
    assert refused.value.message == "2026年2月已排名，不能再填报。"
    assert not Progress.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"month": "2026-03"}, {"month": ["不能填报以后月份的进展。"]}),
        ({"month": "2025-12"}, {"month": ["早于项目计划开始月份 2026-01。"]}),
        ({"month": "2026/02"}, {"month": ["月份应为 YYYY-MM 格式，如 2026-11。"]}),
        ({"investment": "-1"}, {"investment": ["不能为负数。"]}),
        ({"investment": None}, {"investment": ["不能为空。"]}),
        ({"investment": "十万"}, {"investment": ["应为数字（万元）。"]}),
        ({"text": ""}, {"text": ["不能为空。"]}),
        ({"problems": ["问题"] * 11}, {"problems": ["一次最多提出 10 个问题。"]}),
        ({"milestones": [999999]}, {"milestones": ["计划节点 999999 不属于本项目。"]}),
    ],
)
def test_bad_input_is_refused_naming_the_field(city, fields, errors):
    project = city.register()
    with pytest.raises(ValidationError) as refused:
        report(city, project, **fields)
    assert refused.value.message_dict == errors
    assert not Progress.objects.exists()


def test_photos_are_judged_by_content_and_only_images_pass(city, settings):
    project = city.register()
    fake = SimpleUploadedFile("现场.png", b"MZ\x90\x00 not a picture", content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        report(city, project, photos=[fake])
    assert refused.value.message_dict == {"photos": ["现场.png：文件内容与扩展名 .png 不符。"]}
    document = SimpleUploadedFile("说明.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        report(city, project, photos=[document])
    assert refused.value.message_dict == {"photos": ["说明.pdf：只能上传图片（PNG、JPEG、GIF）。"]}
    assert not Photo.objects.exists()
    assert not (settings.MEDIA_ROOT.exists() and any(settings.MEDIA_ROOT.rglob("*.*")))


@pytest.mark.parametrize("who", ["gxj_user", "office_user", "leader_user", "ent_user"])
def test_only_the_responsible_unit_reports(city, who):
    project = city.register()
    with pytest.raises(PermissionDenied):
        report(city, project, acting_user=getattr(city, who))
    assert not Progress.objects.exists()


def test_a_retry_naming_the_milestones_it_reached_gives_the_first_report(city):
    project = city.register(milestones=PLAN)
    started = project.milestones.get(name="开工")
    first, _created = report(city, project, milestones=[started.pk])
    assert report(city, project, milestones=[started.pk]) == (first, False)


def test_a_milestone_is_reached_once(city):
    project = city.register(milestones=PLAN)
    started = project.milestones.get(name="开工")
    report(city, project, month="2026-01", at=in_month("2026-01"), milestones=[started.pk])
    with pytest.raises(ValidationError) as refused:
        report(city, project, milestones=[started.pk])
    assert refused.value.message_dict == {"milestones": ["计划节点“开工”已于 2026-01 完成。"]}
