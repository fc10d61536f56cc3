"""The monthly tallies: stored counts equal a live count, read while fresh, counted again when
stale, final once the month has settled; the job keeps the running and unsettled months."""

import datetime as dt

import pytest

from qitong.appeals import figures
from qitong.assessment import tally
from qitong.assessment.models import MonthTally
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
NOVEMBER = figures.month(2026, 11)


def test_a_tally_holds_the_figures_counts_and_the_assessments_own(november, city):
    row = tally.count(*NOVEMBER, at=at("2026-12-15 10:00"))
    fgw = row.units["fgw"]
    live = {f.unit: f for f in figures.unit_figures(*NOVEMBER, as_of=at("2026-12-15 10:00"))}
    assert {name: fgw[name] for name in figures.COUNTED} == {
        name: getattr(live["fgw"], name) for name in figures.COUNTED
    }
    assert (fgw["general_received"], fgw["special_received"], fgw["supervised"]) == (2, 0, 0)
    assert set(row.units) == {"fgw", "gxj", "zjj", "lixia", "lixia-town1"}
    assert row.as_of == NOVEMBER[1]  # judged at the month's end


def test_a_fresh_tally_is_read_and_a_stale_one_counted_again(november, city):
    counted = at("2026-12-15 10:00")
    tally.count(*NOVEMBER, at=counted)
    MonthTally.objects.update(units={})  # what a stored row says is what is read
    (row,) = tally.tallies([NOVEMBER], at=counted + dt.timedelta(days=1))
    assert row.units == {}
    (row,) = tally.tallies([NOVEMBER], at=counted + dt.timedelta(days=3))
    assert row.units["fgw"]["received"] == 2


def test_a_tally_counted_once_the_month_settled_is_final(november, city):
    settled = NOVEMBER[1] + tally.SETTLE
    tally.count(*NOVEMBER, at=settled)
    MonthTally.objects.update(units={})
    (row,) = tally.tallies([NOVEMBER], at=settled + dt.timedelta(days=400))
    assert row.units == {}


def test_the_running_month_is_counted_again_within_minutes(city):
    december = figures.month(2026, 12)
    first = at("2026-12-10 10:00")
    tally.count(*december, at=first)
    city.dispatched(when=at("2026-12-10 10:05"))
    (row,) = tally.tallies([december], at=first + dt.timedelta(minutes=10))
    assert row.units["fgw"]["received"] == 0
    (row,) = tally.tallies([december], at=first + tally.RUNNING_MAX_AGE)
    assert row.units["fgw"]["received"] == 1


def test_the_job_counts_this_year_and_the_unsettled_months(city):
    now = at("2026-12-15 10:00")
    first = tally.refresh(now)["counted"]
    assert first == [f"2026-{number:02d}" for number in range(1, 13)]
    assert tally.refresh(now + dt.timedelta(minutes=10))["counted"] == ["2026-12"]
    later = tally.refresh(now + dt.timedelta(hours=13))["counted"]
    # November and October have not settled (60 days after their end); September has.
    assert later == ["2026-10", "2026-11", "2026-12"]
