"""The working-day calendar of contracts/api-v1.md.

Which days are worked, in order of precedence:

1. ``CalendarDay`` rows (an admin's loaded schedule or hand edits);
2. a year an admin loaded (``CalendarYear``): otherwise plain weekends;
3. the official State Council schedule as published in ``chinese-calendar``;
4. for a year nobody has published yet: weekends plus the statutory holidays of
   《全国年节及纪念日放假办法》 (2024 revision) with its Article 6 — a holiday
   falling on a Saturday or Sunday is given back on the next working day.
   Every answer that consulted such a day is *provisional*.

Working time is office hours on working days, one or more intervals a day. "N
working days after START" is the instant when N × (the length of a working
day) of working time has passed since START.
"""

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from lunar_python import Lunar

from qitong.core.clock import SHANGHAI
from qitong.core.models import CalendarDay, CalendarYear, OfficeHours

DEFAULT_OFFICE_HOURS = ((dt.time(9, 0), dt.time(17, 0)),)
# No deadline of the platform is a decade away; a longer walk means bad input.
MAX_DAYS_WALKED = 3660

# Sent (on commit) with ``years`` when a year's schedule is loaded or days are
# edited, so that open deadlines falling in those years can be recomputed.
calendar_changed = Signal()


@dataclass(frozen=True)
class Deadline:
    """An instant computed on the calendar; provisional if it used an unpublished year."""

    at: dt.datetime
    provisional: bool

    def __str__(self):
        text = format_instant(self.at)
        return f"{text}, provisional" if self.provisional else text


def format_instant(instant):
    """ISO 8601 with offset in Asia/Shanghai, minutes unless seconds matter."""
    local = instant.astimezone(SHANGHAI)
    spec = "minutes" if local.second == 0 and local.microsecond == 0 else "seconds"
    return local.isoformat(timespec=spec)


# --- statutory fallback ---------------------------------------------------------------


def _lunar(year, month, day):
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year):
    solar = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


@cache
def statutory_days_off(year):
    """The days off of a year by the 2024 holiday rules alone: {date: name}.

    Holidays for all citizens (Article 2) plus Article 6's days given back for
    those that fall on a weekend. Make-up working days (调休) are announced
    each year by the State Council and cannot be derived: none are assumed.
    """
    holidays = {dt.date(year, 1, 1): _("元旦")}
    new_year = _lunar(year, 1, 1)
    for offset in range(-1, 3):
        holidays[new_year + dt.timedelta(days=offset)] = _("春节")
    holidays[_qingming(year)] = _("清明节")
    holidays[dt.date(year, 5, 1)] = holidays[dt.date(year, 5, 2)] = _("劳动节")
    holidays[_lunar(year, 5, 5)] = _("端午节")
    holidays[_lunar(year, 8, 15)] = _("中秋节")
    for day in (1, 2, 3):
        holidays[dt.date(year, 10, day)] = _("国庆节")

    days_off = dict(holidays)
    for day in sorted(holidays):
        if day.weekday() < 5:
            continue
        given_back = day + dt.timedelta(days=1)
        while given_back.weekday() >= 5 or given_back in days_off:
            given_back += dt.timedelta(days=1)
        days_off[given_back] = _("%(name)s补假") % {"name": holidays[day]}
    return days_off


def _official_year_known(year):
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# --- the calendar ---------------------------------------------------------------------


class WorkCalendar:
    """The calendar as stored now; reads each year once per instance.

    Build one per computation (or per sweep): it does not notice later edits.
    """

    def __init__(self, office_hours=None):
        if office_hours is None:
            office_hours = [(row.start, row.end) for row in OfficeHours.objects.all()]
        self.office_hours = tuple(sorted(office_hours)) or DEFAULT_OFFICE_HOURS
        self.day_length = sum(
            (
                dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
                for start, end in self.office_hours
            ),
            dt.timedelta(),
        )
        self._years = {}
        self._days = {}

    def _year(self, year):
        if year not in self._years:
            overrides = {
                row.date: row.kind == CalendarDay.Kind.WORKDAY
                for row in CalendarDay.objects.filter(date__year=year)
            }
            if CalendarYear.objects.filter(year=year).exists():
                source, provisional = "loaded", False
            elif _official_year_known(year):
                source, provisional = "official", False
            else:
                source, provisional = "statutory", True
            self._years[year] = (overrides, source, provisional)
        return self._years[year]

    def day(self, date):
        """(is a working day, provisional) for one date."""
        if date not in self._days:
            self._days[date] = self._classify(date)
        return self._days[date]

    def _classify(self, date):
        overrides, source, provisional = self._year(date.year)
        if date in overrides:
            return overrides[date], provisional
        if source == "official":
            return chinese_calendar.is_workday(date), False
        if source == "statutory" and date in statutory_days_off(date.year):
            return False, True
        return date.weekday() < 5, provisional

    def _intervals(self, date):
        for start, end in self.office_hours:
            yield (
                dt.datetime.combine(date, start, tzinfo=SHANGHAI),
                dt.datetime.combine(date, end, tzinfo=SHANGHAI),
            )

    def in_office_hours(self, instant):
        """Whether ``instant`` falls inside office hours of a working day."""
        local = instant.astimezone(SHANGHAI)
        if not self.day(local.date())[0]:
            return False
        return any(opens <= local < closes for opens, closes in self._intervals(local.date()))

    def add(self, start, working_days):
        """The instant ``working_days`` (≥ 0, may be fractional) after ``start``."""
        amount = Fraction(str(working_days))
        if amount < 0:
            raise ValueError("working_days must not be negative")
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime")
        remaining = dt.timedelta(seconds=float(self.day_length.total_seconds() * amount))
        start = start.astimezone(SHANGHAI)
        if not remaining:
            return Deadline(start, False)
        date, provisional = start.date(), False
        for _walked in range(MAX_DAYS_WALKED):
            working, day_provisional = self.day(date)
            provisional = provisional or day_provisional
            if working:
                for opens, closes in self._intervals(date):
                    opens = max(opens, start)
                    if opens >= closes:
                        continue
                    if remaining <= closes - opens:
                        return Deadline(opens + remaining, provisional)
                    remaining -= closes - opens
            date += dt.timedelta(days=1)
        raise ValueError("deadline too far in the future")

    def between(self, start, end):
        """The working time from ``start`` to ``end`` (zero if end ≤ start), with its flag."""
        start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        total, provisional = dt.timedelta(), False
        if end <= start:
            return total, provisional
        date = start.date()
        while date <= end.date():
            working, day_provisional = self.day(date)
            provisional = provisional or day_provisional
            if working:
                for opens, closes in self._intervals(date):
                    opens, closes = max(opens, start), min(closes, end)
                    if opens < closes:
                        total += closes - opens
            date += dt.timedelta(days=1)
        return total, provisional


def add_workdays(start, working_days):
    """``start`` + ``working_days`` on the calendar as stored now."""
    return WorkCalendar().add(start, working_days)


# --- loading a year's official schedule -----------------------------------------------

_KIND_WORDS = {
    "holiday": CalendarDay.Kind.HOLIDAY,
    "休": CalendarDay.Kind.HOLIDAY,
    "假": CalendarDay.Kind.HOLIDAY,
    "放假": CalendarDay.Kind.HOLIDAY,
    "workday": CalendarDay.Kind.WORKDAY,
    "班": CalendarDay.Kind.WORKDAY,
    "上班": CalendarDay.Kind.WORKDAY,
}
# A separator is a run of commas, tabs or semicolons with any spaces around it, or
# a run of spaces alone: "2027-02-05, holiday, 春节" splits like "2027-02-05,holiday,春节".
_SPLIT = re.compile(r"\s*[,\t，;；][\s,，;；]*|\s+")
# Spreadsheets write dates unpadded (2027/2/5) as often as ISO (2027-02-05).
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_SEPARATORS = " \t,，;；"


def _parse_date(text):
    match = _DATE.fullmatch(text)
    if not match:
        return dt.date.fromisoformat(text)
    return dt.date(*(int(group) for group in match.groups()))


def parse_schedule(text, year):
    """Parse a pasted or CSV list into {date: (kind, name)}.

    One day a line: ``2027-02-05,holiday,春节`` or ``2027-02-05 休 春节``; the kind is
    holiday/休/假 or workday/班; the name is optional; a header line and blank
    lines are skipped. Every wrong line is named in the error.
    """
    days, errors = {}, []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = [part for part in _SPLIT.split(line, maxsplit=2) if part]
        if number == 1 and parts and parts[0].lower() in ("date", "日期"):
            continue
        if len(parts) < 2:
            errors.append(_("第 %(n)d 行：应为“日期,类型[,名称]”。") % {"n": number})
            continue
        try:
            date = _parse_date(parts[0])
        except ValueError:
            errors.append(
                _("第 %(n)d 行：日期 %(value)s 无效。") % {"n": number, "value": parts[0]}
            )
            continue
        kind = _KIND_WORDS.get(parts[1].lower())
        if kind is None:
            errors.append(
                _("第 %(n)d 行：类型 %(value)s 无效，应为 holiday（休）或 workday（班）。")
                % {"n": number, "value": parts[1]}
            )
            continue
        if date.year != year:
            errors.append(
                _("第 %(n)d 行：日期 %(value)s 不在 %(year)d 年。")
                % {"n": number, "value": parts[0], "year": year}
            )
            continue
        if date in days:
            errors.append(
                _("第 %(n)d 行：日期 %(value)s 重复。") % {"n": number, "value": parts[0]}
            )
            continue
        days[date] = (kind, parts[2].strip(_SEPARATORS) if len(parts) > 2 else "")
    if errors:
        raise ValidationError(errors)
    if not days:
        raise ValidationError(_("没有读到任何日期。"))
    return days


@transaction.atomic
def load_official_schedule(year, days, note=""):
    """Replace a year's official days with ``days`` ({date: (kind, name)}).

    Hand edits of that year stay unless the loaded schedule names the same
    date. From now on the year is official, no longer provisional.
    """
    CalendarDay.objects.filter(date__year=year, source=CalendarDay.Source.OFFICIAL).delete()
    CalendarDay.objects.filter(date__in=list(days)).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=date, kind=kind, name=name, source=CalendarDay.Source.OFFICIAL)
        for date, (kind, name) in sorted(days.items())
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"note": note})
    announce_change([year])


def announce_change(years):
    """Tell whoever keeps deadlines (on commit) that these years changed."""
    years = sorted(set(years))
    transaction.on_commit(lambda: calendar_changed.send(sender=WorkCalendar, years=years))
