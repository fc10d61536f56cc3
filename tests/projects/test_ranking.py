"""Ranking districts and units by investment done against plan: ties, the last place."""

from decimal import Decimal

import pytest

from qitong.projects import actions, ranking
from qitong.projects.models import Kind, MonthClose, Ranking, Standing
from tests.appeals.conftest import at


def places(scores):
    return [(key, place, last) for key, _rate, place, last in ranking.rank(scores)]


def test_equal_rates_share_a_place_and_the_next_place_is_skipped():
    scores = {"a": Decimal(100), "b": Decimal(90), "c": Decimal(90), "d": Decimal(80)}
    assert places(scores) == [("a", 1, False), ("b", 2, False), ("c", 2, False), ("d", 4, True)]


def test_everyone_sharing_the_lowest_rate_is_last():
    scores = {"a": Decimal(95), "b": Decimal(60), "c": Decimal(60)}
    assert places(scores) == [("a", 1, False), ("b", 2, True), ("c", 2, True)]


def test_nobody_is_last_when_all_are_equal_or_alone():
    assert places({"a": Decimal(70), "b": Decimal(70)}) == [("a", 1, False), ("b", 1, False)]
    assert places({"a": Decimal(50)}) == [("a", 1, False)]


def test_the_lowest_is_not_last_once_it_meets_its_plan():
    assert places({"a": Decimal(130), "b": Decimal(100)}) == [("a", 1, False), ("b", 2, False)]


@pytest.mark.django_db
def test_a_closed_month_ranks_districts_and_units_and_keeps_each_standing(city):
    lixia = city.register("历下项目")
    shizhong = city.register("市中项目", district=city.shizhong, unit=city.gxj)
    other = city.register("市中二期", district=city.shizhong, unit=city.zjj)
    city.report(lixia, "2026-02", "210")  # 210 of 200: normal
    city.report(shizhong, "2026-02", "100")  # 100 of 200
    city.report(other, "2026-02", "220")  # 220 of 200: ahead by 10%

    closing = city.close("2026-02")

    assert closing.projects == 3
    standings = dict(
        Standing.objects.filter(month="2026-02").values_list("project__name", "status")
    )
    assert standings == {"历下项目": "normal", "市中项目": "lagging", "市中二期": "ahead"}
    districts = Ranking.objects.filter(month="2026-02", kind=Kind.DISTRICT).order_by("rank")
    assert [(r.unit.code, r.rank, r.rate, r.projects, r.last) for r in districts] == [
        ("lixia", 1, Decimal("105.00"), 1, False),
        ("shizhong", 2, Decimal("80.00"), 2, True),  # 320 of 400
    ]
    units = Ranking.objects.filter(month="2026-02", kind=Kind.UNIT).order_by("rank")
    assert [(r.unit.code, r.rank, r.last) for r in units] == [
        ("zjj", 1, False),
        ("fgw", 2, False),
        ("gxj", 3, True),
    ]


@pytest.mark.django_db
def test_projects_count_from_their_start_month_while_in_progress(city):
    started = city.register("已开工")
    city.register(
        "三月开工",
        start_month="2026-03",
        milestones=[
            {"name": "开工", "month": "2026-03", "investment": "100"},
        ],
    )
    done = city.register("已竣工")
    actions.finish_project(
        done, acting_user=city.office_user, at=at("2026-01-20 10:00"), state="completed"
    )
    city.report(started, "2026-01", "100")
    closing = city.close("2026-01")
    assert closing.projects == 1
    assert list(Standing.objects.values_list("project__name", flat=True)) == ["已开工"]


@pytest.mark.django_db
def test_a_month_with_no_projects_is_closed_empty(city):
    assert city.close("2026-01").projects == 0
    assert MonthClose.objects.get().month == "2026-01"
    assert not Ranking.objects.exists()
