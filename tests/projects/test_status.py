"""A project's month against its plan: ahead, normal, lagging, no progress."""

from decimal import Decimal

import pytest

from qitong.projects import plan
from qitong.projects.models import Rules, Standing
from tests.projects.conftest import PLAN

S = Standing.Status
MILESTONES = [("2026-01", Decimal(100)), ("2026-06", Decimal(600)), ("2026-12", Decimal(1200))]


def test_the_plan_grows_evenly_between_its_milestones_and_stays_after_the_last():
    expected = {
        month: plan.expected("2026-01", MILESTONES, month)
        for month in ("2025-12", "2026-01", "2026-02", "2026-04", "2026-06", "2026-09", "2027-03")
    }
    assert expected == {
        "2025-12": Decimal(0),
        "2026-01": Decimal(100),
        "2026-02": Decimal(200),
        "2026-04": Decimal(400),
        "2026-06": Decimal(600),
        "2026-09": Decimal(900),
        "2027-03": Decimal(1200),
    }


def test_the_first_milestone_is_reached_evenly_from_the_start_month():
    assert plan.expected("2026-01", [("2026-04", Decimal(400))], "2026-02") == Decimal(200)
    assert plan.expected("2026-01", [("2026-04", Decimal(100))], "2026-01") == Decimal("25.00")


def judge(done, expected=Decimal(300), *, added=Decimal(50), reported=True, missed=False, **rules):
    return plan.judge(
        expected=expected,
        done=Decimal(done),
        added=added,
        reported=reported,
        missed_milestone=missed,
        rules=Rules(**rules),
    )


@pytest.mark.parametrize(
    ("done", "status"),
    [
        ("330", S.AHEAD),  # +10%: ahead by the default margin
        ("329.99", S.NORMAL),
        ("300", S.NORMAL),
        ("270", S.NORMAL),  # -10%: still normal
        ("269.99", S.LAGGING),
        ("0.01", S.LAGGING),
    ],
)
def test_the_margins_decide_between_ahead_normal_and_lagging(done, status):
    assert judge(done) == status


def test_nothing_reported_or_nothing_added_is_no_progress_however_far_ahead():
    assert judge("900", reported=False, added=Decimal(0)) == S.NO_PROGRESS
    assert judge("900", added=Decimal(0)) == S.NO_PROGRESS


def test_a_missed_milestone_makes_the_month_lagging_whatever_was_spent():
    assert judge("400", missed=True) == S.LAGGING


def test_the_margins_are_the_rules_of_the_admin():
    assert judge("345", ahead_margin=Decimal(20)) == S.NORMAL
    assert judge("360", ahead_margin=Decimal(20)) == S.AHEAD
    assert judge("255", lagging_margin=Decimal(20)) == S.NORMAL


def test_a_plan_expecting_nothing_yet_judges_a_report_normal():
    assert judge("10", expected=Decimal(0)) == S.NORMAL


@pytest.mark.django_db
def test_the_month_is_judged_from_the_reports_and_milestones(city):
    project = city.register(milestones=PLAN)
    city.report(project, "2026-01", "120", milestones=[project.milestones.get(name="开工").pk])
    city.report(project, "2026-02", "30")  # 150 of 200: lagging
    rules = Rules.load()
    january = plan.evaluate_live(project, "2026-01", rules)
    february = plan.evaluate_live(project, "2026-02", rules)
    march = plan.evaluate_live(project, "2026-03", rules)
    assert (january.status, january.done, january.expected) == (S.AHEAD, 120, 100)
    assert (february.status, february.done, february.expected) == (S.LAGGING, 150, 200)
    assert (march.status, march.reported) == (S.NO_PROGRESS, False)


@pytest.mark.django_db
def test_a_milestone_reached_late_leaves_its_months_lagging(city):
    project = city.register(
        milestones=[
            {"name": "开工", "month": "2026-01", "investment": "100"},
            {"name": "竣工", "month": "2026-03", "investment": "300"},
        ],
        planned_investment="300",
    )
    city.report(project, "2026-01", "100")  # on plan, but 开工 not reported reached
    city.report(project, "2026-02", "100", milestones=[project.milestones.get(name="开工").pk])
    rules = Rules.load()
    assert plan.evaluate_live(project, "2026-01", rules).status == S.LAGGING
    assert plan.evaluate_live(project, "2026-01", rules).missed == ["开工"]
    assert plan.evaluate_live(project, "2026-02", rules).status == S.NORMAL
