"""A problem raised in a monthly report becomes an appeal with channel ``project``."""

import pytest
from django.core.exceptions import PermissionDenied

from qitong.appeals import access as appeal_access
from qitong.appeals.models import Appeal
from qitong.core.errors import Conflict
from qitong.notify.models import Message
from qitong.projects import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(city):
    project = city.register()
    report = city.report(project, "2026-02", "150", problems=["施工用电增容两个月未批复"])
    return report.problems.get()


def test_the_office_files_the_problem_as_the_project_enterprise_s_appeal(city, problem):
    appeal = actions.file_problem(problem, acting_user=city.office_user)

    assert appeal.channel == Appeal.Channel.PROJECT == "project"
    assert appeal.enterprise == city.company
    assert appeal.status == Appeal.Status.SUBMITTED
    assert appeal.title == "重点项目问题：历下智能制造产业园"
    assert "施工用电增容两个月未批复" in appeal.content
    assert "2026年2月" in appeal.content
    assert appeal.external_id == f"project-problem-{problem.pk}"
    assert appeal.events.get().actor == city.office_user
    problem.refresh_from_db()
    assert (problem.appeal, problem.filed_by) == (appeal, city.office_user)
    # It runs the appeal loop: in the city office's queue, and the enterprise sees it.
    assert appeal_access.visible_appeals(city.office_user).filter(pk=appeal.pk).exists()
    assert appeal_access.visible_appeals(city.ent_user).filter(pk=appeal.pk).exists()
    assert problem.project.events.filter(kind="file_problem", data__appeal=appeal.number).exists()
    told = Message.objects.get(kind="project_problem_filed")
    assert told.recipient == city.fgw_user and appeal.number in told.subject


def test_a_problem_is_filed_once(city, problem):
    first = actions.file_problem(problem, acting_user=city.office_user)
    with pytest.raises(Conflict) as refused:
        actions.file_problem(problem, acting_user=city.district_user)
    assert refused.value.message == f"该问题已转为诉求 {first.number}。"
    assert Appeal.objects.filter(channel="project").count() == 1


def test_the_district_office_in_charge_may_file_it_too(city, problem):
    appeal = actions.file_problem(problem, acting_user=city.district_user)
    assert appeal.channel == "project"


@pytest.mark.parametrize("who", ["fgw_user", "shizhong_user", "leader_user", "ent_user"])
def test_nobody_else_files_it(city, problem, who):
    with pytest.raises(PermissionDenied):
        actions.file_problem(problem, acting_user=getattr(city, who))
    assert not Appeal.objects.exists()
