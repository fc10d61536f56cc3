"""Registering, editing and closing projects: who may, and what is refused with which words."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.core.errors import Conflict
from qitong.projects import actions
from qitong.projects.models import Event, Project
from tests.appeals.conftest import at
from tests.conftest import _user
from tests.projects.conftest import PLAN

pytestmark = pytest.mark.django_db


def fields_of(exc):
    return exc.value.message_dict


def test_the_office_registers_a_project_with_its_plan_and_team(city):
    project = city.register(team=[city.fgw_user, city.lixia_gov_user], milestones=PLAN)
    assert project.state == Project.State.ACTIVE
    assert project.planned_investment == Decimal("1200.00")
    assert list(project.milestones.values_list("name", "month", "investment")) == [
        ("开工", "2026-01", Decimal("100.00")),
        ("主体封顶", "2026-06", Decimal("600.00")),
        ("竣工投产", "2026-12", Decimal("1200.00")),
    ]
    assert set(project.team.values_list("username", flat=True)) == {"fgw", "lixia-gov"}
    assert list(project.events.values_list("kind", "actor__username")) == [("create", "office")]


@pytest.mark.parametrize("who", ["fgw_user", "leader_user", "ent_user", "admin"])
def test_only_the_service_offices_register(city, who):
    user = _user("root", "admin", is_staff=True) if who == "admin" else getattr(city, who)
    with pytest.raises(PermissionDenied):
        city.register(by=user)
    assert not Project.objects.exists()


def test_a_district_office_registers_in_its_own_district_only(city):
    assert city.register(by=city.district_user).district == city.district
    with pytest.raises(ValidationError) as refused:
        city.register(by=city.district_user, district=city.shizhong)
    assert fields_of(refused) == {"district": ["只能登记本区县的项目。"]}


def test_every_bad_field_is_named_at_once(city):
    with pytest.raises(ValidationError) as refused:
        actions.register_project(
            acting_user=city.office_user,
            name=" ",
            enterprise="91370102MA3C0000X9",
            planned_investment="-5",
            district=city.fgw,
            leader=city.fgw_user,
            unit=city.vice_mayor,
            team=[city.ent_user],
            start_month="2026-13",
            milestones=[],
        )
    errors = fields_of(refused)
    assert errors == {
        "name": ["不能为空。"],
        "enterprise": ["企业 91370102MA3C0000X9 不存在。"],
        "planned_investment": ["应大于 0。"],
        "district": ["区县 fgw 不存在。"],
        "leader": ["领导 fgw 不存在。"],
        "unit": ["单位 vice-mayor 不存在。"],
        "team": ["用户 ent 不存在或不是政府工作人员。"],
        "start_month": ["月份应为 YYYY-MM 格式，如 2026-11。"],
        "milestones": ["请至少填写一个计划节点。"],
    }
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("milestones", "message"),
    [
        (
            [{"name": "开工", "month": "2025-12", "investment": "10"}],
            "节点的计划月份不能早于计划开始月份。",
        ),
        (
            [{"name": "开工", "month": "2026-02", "investment": "1300"}],
            "节点的计划累计投资不能超过计划总投资。",
        ),
        (
            [
                {"name": "开工", "month": "2026-02", "investment": "500"},
                {"name": "封顶", "month": "2026-05", "investment": "300"},
            ],
            "计划累计投资应随月份递增（后面的节点不能少于前面的节点）。",
        ),
        (
            [
                {"name": "开工", "month": "2026-02", "investment": "100"},
                {"name": "开工", "month": "2026-05", "investment": "300"},
            ],
            "节点名称不能重复。",
        ),
        (
            [{"name": "开工", "month": "2026-02", "investment": "1.005"}],
            "第 1 个节点的计划累计投资：最多两位小数。",
        ),
        (
            [{"name": "", "month": "", "investment": "abc"}],
            "第 1 个节点的节点：不能为空。",
        ),
    ],
)
def test_the_plan_must_hold_together(city, milestones, message):
    with pytest.raises(ValidationError) as refused:
        city.register(milestones=milestones)
    assert message in fields_of(refused)["milestones"]


def test_blank_rows_of_a_page_plan_are_left_out(city):
    rows = [*PLAN, {"name": "", "month": "", "investment": ""}]
    assert city.register(milestones=rows).milestones.count() == 3


def test_an_edit_changes_what_is_given_and_records_which_fields(city):
    project = city.register(milestones=PLAN)
    actions.edit_project(
        project,
        acting_user=city.office_user,
        name="历下智能制造产业园（一期）",
        planned_investment="1500",
        team=[city.fgw_user],
    )
    project.refresh_from_db()
    assert (project.name, project.planned_investment) == ("历下智能制造产业园（一期）", 1500)
    edit = project.events.get(kind=Event.Kind.EDIT)
    assert edit.data == {"fields": ["name", "planned_investment", "team"]}
    assert project.unit == city.fgw  # not given: unchanged


def test_a_new_plan_keeps_the_milestones_already_reached(city):
    project = city.register(milestones=PLAN)
    started = project.milestones.get(name="开工")
    city.report(project, "2026-01", "100", milestones=[started.pk])
    new_plan = [
        {"name": "开工", "month": "2026-01", "investment": "100"},
        {"name": "竣工投产", "month": "2027-03", "investment": "1200"},
    ]
    actions.edit_project(project, acting_user=city.office_user, milestones=new_plan)
    started.refresh_from_db()
    assert started.reached_month == "2026-01"
    assert list(project.milestones.values_list("name", flat=True)) == ["开工", "竣工投产"]
    with pytest.raises(ValidationError) as refused:
        actions.edit_project(project, acting_user=city.office_user, milestones=new_plan[1:])
    assert fields_of(refused) == {"milestones": ["已完成的节点不能删除：开工。"]}


def test_a_smaller_total_must_still_hold_the_plan(city):
    project = city.register()
    with pytest.raises(ValidationError) as refused:
        actions.edit_project(project, acting_user=city.office_user, planned_investment="800")
    assert fields_of(refused) == {"milestones": ["节点的计划累计投资不能超过计划总投资。"]}


def test_only_the_office_in_charge_edits(city):
    project = city.register()
    for user in (city.fgw_user, city.shizhong_user, city.leader_user):
        with pytest.raises(PermissionDenied):
            actions.edit_project(project, acting_user=user, name="改名")
    actions.edit_project(project, acting_user=city.district_user, name="改名")
    project.refresh_from_db()
    assert project.name == "改名"


def test_a_finished_project_is_no_longer_edited_or_reported(city):
    project = city.register()
    actions.finish_project(
        project, acting_user=city.office_user, at=at("2026-03-01 10:00"), state="completed"
    )
    project.refresh_from_db()
    assert project.state == "completed"
    assert project.finished_at is not None
    with pytest.raises(Conflict) as refused:
        actions.edit_project(project, acting_user=city.office_user, name="改名")
    assert refused.value.status == "completed"
    with pytest.raises(Conflict):
        city.report(project, "2026-02", "10")
    with pytest.raises(Conflict):
        actions.finish_project(project, acting_user=city.office_user, state="withdrawn")


def test_finishing_needs_a_known_outcome(city):
    project = city.register()
    with pytest.raises(ValidationError) as refused:
        actions.finish_project(project, acting_user=city.office_user, state="active")
    assert fields_of(refused) == {"state": ["应为 completed 或 withdrawn。"]}
