"""The periods a unit is assessed over: a month (``2026-11``), a quarter (``2026-Q4``), a year
(``2026``), in Asia/Shanghai, and the one rule that says which of them can be asked for."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qitong.appeals import figures
from qitong.core import clock

FORMAT = re.compile(r"(?P<year>[0-9]{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?")
# The years whose periods can be asked for: those of ``figures.MONTHS``.
FIRST_YEAR, LAST_YEAR = (int(bound[:4]) for bound in figures.MONTHS)
HELP = _("考核期间：月份 2026-11、季度 2026-Q4 或年度 2026")


class Kind:
    MONTH, QUARTER, YEAR = "month", "quarter", "year"


@dataclass(frozen=True)
class Period:
    """A month, quarter or year: ``key`` as asked for, ``[start, end)`` as aware instants."""

    key: str
    kind: str
    year: int
    first_month: int  # 1-12
    month_count: int  # 1, 3 or 12

    @property
    def start(self):
        return figures.month(self.year, self.first_month)[0]

    @property
    def end(self):
        last = self.first_month + self.month_count - 1
        return figures.month(self.year, last)[1]

    def months(self):
        """The period's months as ``[start, end)`` pairs, oldest first."""
        return [
            figures.month(self.year, number)
            for number in range(self.first_month, self.first_month + self.month_count)
        ]

    def month_keys(self):
        return [
            f"{self.year}-{number:02d}"
            for number in range(self.first_month, self.first_month + self.month_count)
        ]

    @property
    def label(self):
        if self.kind == Kind.MONTH:
            return gettext("%(year)s年%(month)s月") % {"year": self.year, "month": self.first_month}
        if self.kind == Kind.QUARTER:
            return gettext("%(year)s年第%(quarter)s季度") % {
                "year": self.year,
                "quarter": (self.first_month + 2) // 3,
            }
        return gettext("%(year)s年") % {"year": self.year}

    @property
    def short_label(self):
        """The month alone (``11月``), for the columns of a year's trend."""
        return gettext("%(month)s月") % {"month": self.first_month}

    def year_period(self):
        return parse(str(self.year))

    def running(self, at):
        """Whether the period has not ended at ``at``: its figures are still growing."""
        return at < self.end


def parse(value):
    """The period a well-formed key names (``check`` first for anything typed by a person)."""
    found = FORMAT.fullmatch(value or "")
    if found is None:
        raise ValueError(value)
    year = int(found["year"])
    if found["month"]:
        return Period(value, Kind.MONTH, year, int(found["month"]), 1)
    if found["quarter"]:
        return Period(value, Kind.QUARTER, year, 3 * int(found["quarter"]) - 2, 3)
    return Period(value, Kind.YEAR, year, 1, 12)


def check(value, at=None):
    """The period named by ``value``, or a ``ValidationError`` saying what is wrong with it.

    The one rule of the API's parameter and the pages' field: a month
    ``YYYY-MM``, a quarter ``YYYY-Qn`` or a year ``YYYY`` of the years
    ``figures`` counts, that has begun by ``at`` (default now).
    """
    found = FORMAT.fullmatch(value or "")
    if found is None:
        raise ValidationError(
            gettext(
                "考核期间应为 YYYY-MM（月）、YYYY-Qn（季度）或 YYYY（年度），如 2026-11、2026-Q4、2026。"
            ),
            code="invalid",
        )
    period = parse(value)
    if not FIRST_YEAR <= period.year <= LAST_YEAR:
        raise ValidationError(
            gettext("考核期间超出范围：应在 %(first)s 年至 %(last)s 年之间。")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="out_of_range",
        )
    if period.start > (at or clock.now()):
        raise ValidationError(
            gettext("考核期间 %(period)s 尚未开始。") % {"period": value}, code="future"
        )
    return period


def running_month(at):
    """The month that ``at`` falls in."""
    local = clock.local(at)
    return parse(f"{local.year}-{local.month:02d}")


def previous_month(at):
    """The month before the one ``at`` falls in (the bulletin's month)."""
    local = clock.local(at)
    year, number = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return parse(f"{year}-{number:02d}")
