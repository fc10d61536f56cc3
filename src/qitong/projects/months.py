"""Months as the projects app keeps them: ``"YYYY-MM"`` text, in Asia/Shanghai.

A report, a plan's milestone, a standing, a ranking and a warning each belong
to one calendar month. Kept as text they sort as they read, compare with
``<``, and are what the API and the pages show.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qitong.core.clock import SHANGHAI, local

PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def check(value, field="month"):
    """``value`` if it is a month as ``YYYY-MM`` (2000 to 2099); ``ValidationError`` on ``field``."""
    if not isinstance(value, str) or not PATTERN.fullmatch(value.strip()):
        raise ValidationError({field: [_("月份应为 YYYY-MM 格式，如 2026-11。")]})
    value = value.strip()
    if not "2000-01" <= value <= "2099-12":
        raise ValidationError({field: [_("月份应在 2000-01 至 2099-12 之间。")]})
    return value


def of(instant):
    """The month ``instant`` falls in, in Asia/Shanghai."""
    return f"{local(instant):%Y-%m}"


def _parts(month):
    year, number = month.split("-")
    return int(year), int(number)


def index(month):
    """The month as a count of months, so that two months subtract."""
    year, number = _parts(month)
    return year * 12 + number - 1


def from_index(count):
    return f"{count // 12:04d}-{count % 12 + 1:02d}"


def shift(month, by):
    """The month ``by`` months later (earlier when negative)."""
    return from_index(index(month) + by)


def span(first, last):
    """Every month from ``first`` to ``last``, both included, in order."""
    return [from_index(count) for count in range(index(first), index(last) + 1)]


def start(month):
    """The month's first instant, aware."""
    year, number = _parts(month)
    return dt.datetime(year, number, 1, tzinfo=SHANGHAI)


def end(month):
    """The instant the month is over: the next month's first."""
    return start(shift(month, 1))


def words(month):
    """``2026年11月``, as the pages and messages say it."""
    year, number = _parts(month)
    return _("%(year)d年%(month)d月") % {"year": year, "month": number}
