"""The demo city's key projects: reported, ranked and warned, as real use makes them."""

import pytest

from qitong.appeals.models import Appeal
from qitong.demo.city import load_demo_city
from qitong.projects.models import MonthClose, Problem, Project, Standing, Warning
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_projects_ranked_with_a_warning_and_a_project_appeal():
    load_demo_city(now=at("2026-11-20 10:00"))
    assert Project.objects.count() == 6
    assert Project.objects.filter(public=False).count() == 1
    assert list(MonthClose.objects.order_by("month").values_list("month", flat=True)) == [
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    assert set(Standing.objects.values_list("status", flat=True)) >= {
        "ahead",
        "normal",
        "lagging",
        "no_progress",
    }
    shizhong = Warning.objects.filter(unit__code="shizhong", kind="district")
    assert list(shizhong.order_by("month").values_list("level", flat=True)) == [
        "yellow",
        "red",
        "talk",
    ]
    # Each problem raised is an appeal, filed with its report.
    assert Appeal.objects.filter(channel="project").count() == Problem.objects.count() == 2
