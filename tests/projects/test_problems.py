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
def report(city):
    project = city.register()
    return city.report(project, "2026-02", "150", problems=["施工用电增容两个月未批复"])


@pytest.fixture
def problem(report):
    return report.problems.get()


@pytest.fixture
def unfiled(city, report):
    """A problem recorded before problems were filed with their report."""
    return report.problems.create(project=report.project, text="临时用地审批")


def test_a_reported_problem_is_the_project_enterprise_s_appeal_at_once(city, problem):
    appeal = problem.appeal
    assert appeal.channel == Appeal.Channel.PROJECT == "project"
    assert appeal.enterprise == city.company
    assert appeal.status == Appeal.Status.SUBMITTED
    assert appeal.title == "重点项目问题：历下智能制造产业园"
    assert "施工用电增容两个月未批复" in appeal.content
    assert "2026年2月" in appeal.content
    assert appeal.external_id == f"project-problem-{problem.pk}"
    assert appeal.events.get().actor == city.fgw_user  # in the reporter's name
    assert problem.filed_by == city.fgw_user
    # It runs the appeal loop: in the city office's queue, and the enterprise sees it.
    assert appeal_access.visible_appeals(city.office_user).filter(pk=appeal.pk).exists()
    assert appeal_access.visible_appeals(city.ent_user).filter(pk=appeal.pk).exists()
    assert problem.project.events.filter(kind="file_problem", data__appeal=appeal.number).exists()
    told = Message.objects.get(kind="submit", recipient=city.office_user)
    assert appeal.number in told.subject


def test_a_problem_is_filed_once(city, problem):
    with pytest.raises(Conflict) as refused:
        actions.file_problem(problem, acting_user=city.district_user)
    assert refused.value.message == f"该问题已转为诉求 {problem.appeal.number}。"
    assert Appeal.objects.filter(channel="project").count() == 1


def test_the_office_files_a_problem_left_unfiled(city, unfiled):
    appeal = actions.file_problem(unfiled, acting_user=city.office_user)
    assert appeal.channel == "project" and appeal.events.get().actor == city.office_user
    told = Message.objects.get(kind="project_problem_filed")
    assert told.recipient == city.fgw_user and appeal.number in told.subject


def test_the_district_office_in_charge_may_file_it_too(city, unfiled):
    appeal = actions.file_problem(unfiled, acting_user=city.district_user)
    assert appeal.channel == "project"


@pytest.mark.parametrize("who", ["fgw_user", "shizhong_user", "leader_user", "ent_user"])
def test_nobody_else_files_it(city, unfiled, who):
    with pytest.raises(PermissionDenied):
        actions.file_problem(unfiled, acting_user=getattr(city, who))
    assert Appeal.objects.filter(channel="project").count() == 1  # the reported one
