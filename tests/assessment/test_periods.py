"""Periods: a month, a quarter or a year in Asia/Shanghai; what may be asked for."""

import pytest
from django.core.exceptions import ValidationError

from qitong.assessment import periods
from tests.appeals.conftest import at


def test_a_month_quarter_and_year_have_their_bounds_in_shanghai_time():
    month, quarter, year = (periods.parse(key) for key in ("2026-02", "2026-Q4", "2026"))
    assert month.start.isoformat() == "2026-02-01T00:00:00+08:00"
    assert month.end.isoformat() == "2026-03-01T00:00:00+08:00"
    assert quarter.start.isoformat() == "2026-10-01T00:00:00+08:00"
    assert quarter.end.isoformat() == "2027-01-01T00:00:00+08:00"
    assert [start.month for start, _end in quarter.months()] == [10, 11, 12]
    assert len(year.months()) == 12 and year.end == quarter.end
    assert (month.label, quarter.label, year.label) == ("2026年2月", "2026年第4季度", "2026年")


@pytest.mark.parametrize(
    "value", ["2026-00", "2026-Q0", "2026Q1", "2026-1", "二〇二六", "", " 2026"]
)
def test_a_malformed_period_is_refused(value):
    with pytest.raises(ValidationError) as refused:
        periods.check(value, at("2026-12-15 10:00"))
    assert refused.value.code == "invalid"


def test_a_period_not_yet_begun_is_refused_but_the_running_one_is_not():
    now = at("2026-12-15 10:00")
    assert periods.check("2026-12", now).key == "2026-12"
    assert periods.check("2026-Q4", now) and periods.check("2026", now)
    for value in ("2027-01", "2027-Q1", "2027"):
        with pytest.raises(ValidationError) as refused:
            periods.check(value, now)
        assert refused.value.code == "future"


def test_years_outside_the_figures_range_are_refused():
    with pytest.raises(ValidationError) as refused:
        periods.check("1999", at("2026-12-15 10:00"))
    assert refused.value.code == "out_of_range"
