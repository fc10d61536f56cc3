"""Warnings after consecutive last places: yellow after 2, red after 3, a talk after 4."""

import pytest

from qitong.notify.models import Message
from qitong.projects.models import Kind, Project, Ranking, Rules, Warning

pytestmark = pytest.mark.django_db
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]


def expected_by(month):
    return {"2026-01": 100, "2026-02": 200, "2026-03": 300, "2026-04": 400, "2026-05": 500}[month]


def run_months(city, months, *, laggard_keeps_up=()):
    """Lixia's project keeps to its plan; Shizhong's reports half of it, except in ``laggard_keeps_up``."""
    lixia = city.register("历下项目")
    shizhong = city.register("市中项目", district=city.shizhong, unit=city.gxj)
    done = {"lixia": 0, "shizhong": 0}
    for month in months:
        target = expected_by(month)
        city.report(lixia, month, str(target - done["lixia"]))
        done["lixia"] = target
        want = target if month in laggard_keeps_up else target // 2
        step = max(want - done["shizhong"], 1)
        city.report(shizhong, month, str(step))
        done["shizhong"] += step
        city.close(month)
    return lixia, shizhong


def levels(unit_code):
    return list(
        Warning.objects.filter(unit__code=unit_code)
        .order_by("month")
        .values_list("month", "level", "streak")
    )


def test_yellow_after_two_red_after_three_talk_after_four_and_on(city):
    run_months(city, MONTHS)
    expected = [
        ("2026-02", "yellow", 2),
        ("2026-03", "red", 3),
        ("2026-04", "talk", 4),
        ("2026-05", "talk", 5),
    ]
    assert levels("shizhong") == expected  # the district
    assert levels("gxj") == expected  # the responsible unit
    assert levels("lixia") == levels("fgw") == []
    streaks = Ranking.objects.filter(unit__code="shizhong", kind=Kind.DISTRICT).order_by("month")
    assert [row.streak for row in streaks] == [1, 2, 3, 4, 5]


def test_a_month_out_of_last_place_starts_the_count_again(city):
    run_months(city, MONTHS, laggard_keeps_up={"2026-03"})
    assert levels("shizhong") == [("2026-02", "yellow", 2), ("2026-05", "yellow", 2)]


def test_the_thresholds_are_the_rules_of_the_admin(city):
    Rules.objects.update_or_create(
        pk=1, defaults={"yellow_after": 3, "red_after": 4, "talk_after": 5}
    )
    run_months(city, MONTHS)
    assert levels("shizhong") == [
        ("2026-03", "yellow", 3),
        ("2026-04", "red", 4),
        ("2026-05", "talk", 5),
    ]
    closing_rules = city.close("2026-06")
    assert closing_rules.rules["yellow_after"] == "3"


def test_tied_last_places_are_all_warned(city):
    city.register("历下项目")
    a = city.register("市中项目", district=city.shizhong, unit=city.gxj)
    b = city.register("市中二期", district=city.shizhong, unit=city.zjj)
    for month in ("2026-01", "2026-02"):
        for project in (a, b):
            city.report(project, month, "10")
        city.report(Project.objects.get(name="历下项目"), month, "100")
        city.close(month)
    assert {w.unit.code for w in Warning.objects.filter(month="2026-02", kind=Kind.UNIT)} == {
        "gxj",
        "zjj",
    }


def test_the_warned_unit_hears_of_its_warning(city):
    city.gxj_user.email = "gxj@example.org"
    city.gxj_user.save(update_fields=["email"])
    run_months(city, MONTHS[:2])
    [message] = Message.objects.filter(recipient=city.gxj_user, kind="project_warning")
    assert "黄色预警" in message.subject
    assert "连续 2 个月" in message.body
    assert message.email_status == Message.EmailStatus.PENDING
    assert message.url == "/projects/rankings/?month=2026-02"
    assert (
        Message.objects.filter(recipient=city.shizhong_gov_user, kind="project_warning").count()
        == 1
    )
