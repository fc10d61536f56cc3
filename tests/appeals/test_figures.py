"""Figures per unit and month, from the timeline."""

import datetime as dt

import pytest

from qitong.appeals import actions
from qitong.appeals.figures import month, refresh_snapshots, unit_figures
from qitong.appeals.models import MonthFigures
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db


def _by_unit(figures):
    return {row.unit: row for row in figures}


def test_it_counts_what_each_unit_received_did_on_time_and_how_it_was_rated(city):
    monday = at("2026-11-02 10:00")
    good = actions.sign(city.dispatched(when=monday), acting_user=city.fgw_user, at=monday)
    actions.contact(good, acting_user=city.fgw_user, at=at("2026-11-02 15:00"), note="已联系")
    actions.reply(good, acting_user=city.fgw_user, at=at("2026-11-04 09:00"), note="已答复")
    actions.resolve(good, acting_user=city.fgw_user, at=at("2026-11-06 09:00"), result="已办结")
    actions.redo(good, acting_user=city.office_user, at=at("2026-11-06 10:00"), reason="补充材料")
    actions.resolve(good, acting_user=city.fgw_user, at=at("2026-11-09 09:00"), result="已补充")
    actions.approve(good, acting_user=city.office_user, at=at("2026-11-09 10:00"))
    actions.rate(
        good,
        acting_user=city.ent_user,
        at=at("2026-11-09 11:00"),
        process="basically_satisfied",
        result="satisfied",
    )

    late = actions.sign(city.dispatched(when=monday), acting_user=city.fgw_user, at=monday)
    actions.contact(late, acting_user=city.fgw_user, at=at("2026-11-05 10:00"), note="迟了")
    actions.extend(late, acting_user=city.fgw_user, at=monday, working_days=2, reason="现场核查")
    actions.approve_extension(late, acting_user=city.office_user, at=monday)

    misrouted = city.dispatched(when=monday, lead="gxj")
    actions.return_to_office(misrouted, acting_user=city.gxj_user, at=monday, reason="非本单位职责")

    fgw, gxj = (_by_unit(unit_figures(*month(2026, 11)))[code] for code in ("fgw", "gxj"))
    assert (fgw.received, fgw.contacted_on_time, fgw.replied_on_time, fgw.resolved_on_time) == (
        2,
        1,
        1,
        1,
    )
    assert fgw.overdue == 1  # the late contact
    assert (fgw.redo_by_office, fgw.redo_after_rating, fgw.extensions) == (1, 0, 1)
    assert (fgw.rated, fgw.process_satisfied, fgw.result_satisfied) == (1, 1, 1)
    assert (
        fgw.rates["met"] == 1.0 and fgw.rates["fed_back"] == 0.5 and fgw.rates["satisfied"] == 1.0
    )
    assert (gxj.received, gxj.returned) == (1, 1)

    december = _by_unit(unit_figures(*month(2026, 12)))["fgw"]
    assert december.received == 0 and december.rates["met"] is None


def test_the_month_boundaries_are_in_shanghai_time():
    start, end = month(2026, 12)
    assert start.isoformat() == "2026-12-01T00:00:00+08:00"
    assert end.isoformat() == "2027-01-01T00:00:00+08:00"


def test_the_job_recounts_the_running_month_always_and_earlier_ones_twice_a_day(city):
    city.dispatched(when=at("2026-10-12 10:00"), title="十月")
    now = at("2026-11-30 12:00")
    first = refresh_snapshots(now)["counted"]
    assert first[0] == "2025-11" and first[-1] == "2026-11" and len(first) == 13
    assert refresh_snapshots(now + dt.timedelta(minutes=5))["counted"] == ["2026-11"]
    assert len(refresh_snapshots(now + dt.timedelta(hours=13))["counted"]) == 13
    october = MonthFigures.objects.get(month=dt.date(2026, 10, 1))
    assert october.units["fgw"]["received"] == 1
    assert october.as_of == at("2026-11-01 00:00")  # judged at the month's end


def test_the_month_after_rolls_over_into_the_past(city):
    refresh_snapshots(at("2026-11-30 23:58"))
    counted = refresh_snapshots(at("2026-12-01 00:03"))["counted"]
    assert counted == ["2026-11", "2026-12"]  # November was counted before it ended
