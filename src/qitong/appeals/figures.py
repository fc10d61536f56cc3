"""Figures per unit and period, computed from the timeline.

What a unit received is what was dispatched to it as lead within the period
(the ``dispatch`` events); returns, redos, suspensions, extensions and ratings
are counted from their events within the period. "Key projects, unit
assessment and monthly bulletins" scores units from these.

Counting a province's month takes seconds, so pages that show a whole city's
months read ``MonthFigures`` snapshots (``month_snapshots``), which
``refresh_snapshots`` recounts every few minutes for the running month and
daily for the months before it.
"""

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import DateTimeField, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.db.models.sql.constants import MULTI
from django.utils.translation import gettext

from qitong.appeals import deadlines, events
from qitong.appeals.links import linked_duplicates_q
from qitong.appeals.models import Appeal, Event, MonthFigures
from qitong.core import clock
from qitong.core.clock import SHANGHAI
from qitong.orgs import scope

GOOD = (Appeal.Rating.SATISFIED, Appeal.Rating.BASICALLY_SATISFIED)
K = Event.Kind


# The months whose figures can be asked for, as 'YYYY-MM'. Cases are of this
# century; a month far outside it would only store an empty snapshot, and the
# calendar's own edges cannot be counted at all (year 1's start is before what
# UTC can hold, 9999-12 has no next month, the trend reaches 11 months back).
MONTHS = ("2000-01", "2099-12")
MONTH_FORMAT = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def check_month(value):
    """Refuse anything but a 'YYYY-MM' within ``MONTHS``: the one rule of the cockpit's form and the API.

    An empty value is left to the field (optional on both: this month).
    """
    if not value:
        return
    if not MONTH_FORMAT.fullmatch(value):
        raise ValidationError(gettext("月份应为 YYYY-MM 格式，如 2026-11。"), code="invalid")
    if not MONTHS[0] <= value <= MONTHS[1]:
        raise ValidationError(
            gettext("月份超出范围：应在 %(first)s 至 %(last)s 之间。")
            % {"first": MONTHS[0], "last": MONTHS[1]},
            code="out_of_range",
        )


def month_of(value, today):
    """``(start, end)`` of 'YYYY-MM' (passed by ``check_month``), or of ``today``'s month when empty."""
    if not value:
        return month(today.year, today.month)
    year, number = value.split("-")
    return month(int(year), int(number))


def month(year, number):
    """[start, end) of a calendar month in Asia/Shanghai."""
    start = dt.datetime(year, number, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def months_back(start, count):
    """``count`` months ending with the one that starts at ``start``, oldest first."""
    year, number = start.year, start.month
    periods = []
    for _step in range(count):
        periods.append(month(year, number))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return periods[::-1]


def counted_units():
    """The units that receive cases (leaders only receive escalations), by code."""
    return list(scope.handling_units().order_by("code"))


def _share(part, whole):
    return round(part / whole, 4) if whole else None


@dataclass
class UnitFigures:
    unit: str
    name: str
    received: int = 0
    contacted_on_time: int = 0
    replied_on_time: int = 0
    resolved_on_time: int = 0
    overdue: int = 0
    returned: int = 0
    redo_by_office: int = 0
    redo_after_rating: int = 0
    suspended: int = 0
    extensions: int = 0
    rated: int = 0
    process_satisfied: int = 0
    result_satisfied: int = 0
    signed: int = 0
    replied: int = 0
    rates: dict = field(default_factory=dict)

    def finish(self):
        self.rates = {
            "contact_on_time": _share(self.contacted_on_time, self.received),
            "reply_on_time": _share(self.replied_on_time, self.received),
            "resolve_on_time": _share(self.resolved_on_time, self.received),
            "process_satisfaction": _share(self.process_satisfied, self.rated),
            "result_satisfaction": _share(self.result_satisfied, self.rated),
            # The seeds' "three 100%": problems met, fed back, handled to satisfaction.
            "met": _share(self.signed, self.received),
            "fed_back": _share(self.replied, self.received),
            "satisfied": _share(self.result_satisfied, self.rated),
        }
        return self

    def as_dict(self):
        return asdict(self)


# The counts of ``UnitFigures`` that ``unit_cases`` backs with appeal ids.
COUNTED = (
    "received",
    "contacted_on_time",
    "replied_on_time",
    "resolved_on_time",
    "overdue",
    "returned",
    "redo_by_office",
    "redo_after_rating",
    "suspended",
    "extensions",
    "rated",
    "process_satisfied",
    "result_satisfied",
    "signed",
    "replied",
)


@dataclass
class UnitCases:
    """The appeals behind each count of a unit's figures.

    Each list holds one appeal id per thing counted: a count is the length of
    its list. Counts of events (returns, redos, ratings) may name an appeal
    twice when it was, say, returned twice in the period.
    """

    unit: str
    name: str
    lists: dict = field(default_factory=lambda: {name: [] for name in COUNTED})

    def add(self, name, appeal_id, counted=True):
        if counted:
            self.lists[name].append(appeal_id)


# Up to this many units, ``unit_cases`` reads their cases one by one rather than the period.
FEW_UNITS = 10


def unit_cases(start, end, *, units=None, as_of=None):
    """The appeal ids behind each unit's figures for [start, end), by unit code.

    ``as_of`` judges what is still open (default: end). ``unit_figures`` counts
    these lists, so a figure and the cases listed behind it never disagree.

    Only the events of ``units`` are read (all the handling units when not
    given): a dispatch event's unit is the lead it names, a return's or a
    redo's the unit it concerns, and suspensions, extensions and ratings go to
    the case's lead; so the cases behind one unit's lost points cost that
    unit's events, through the (unit, action, at) and (lead unit) indexes.
    """
    as_of = min(as_of or end, end)
    units = list(units if units is not None else scope.handling_units())
    by_id = {unit.pk: UnitCases(unit=unit.code, name=unit.name) for unit in units}
    ids = list(by_id)
    period = Q(at__gte=start, at__lt=end)

    # A month of a province is tens of thousands of dispatches: plain rows, their moments
    # read without Django's per-value converters (``_plain_rows``).
    dispatches = (
        Event.objects.filter(period, action=K.DISPATCH, unit__in=ids)
        .filter(linked_duplicates_q())
        .order_by()
        .values_list(
            "appeal_id",
            "unit_id",
            KT(events.data_field(K.DISPATCH, "mode")),
            "appeal__lead_unit_id",
            *(
                _moment(f"appeal__{name}")
                for name in (
                    "signed_at",
                    "replied_at",
                    "contact_due",
                    "contacted_at",
                    "reply_due",
                    "resolve_due",
                    "resolved_at",
                )
            ),
        )
    )
    seen = set()
    judged_at, rows = _plain_rows(dispatches, at=as_of, moments=range(4, 11))
    for row in rows:
        appeal_id, unit_id, mode, lead_id, signed, replied = row[:6]
        contact_due, contacted, reply_due, resolve_due, resolved = row[6:]
        if mode == events.TO_DISTRICT or (appeal_id, unit_id) in seen:
            continue
        seen.add((appeal_id, unit_id))
        lists = by_id[unit_id].lists
        lists["received"].append(appeal_id)
        if lead_id != unit_id:
            continue  # returned since: counted under "returned"
        if signed is not None:
            lists["signed"].append(appeal_id)
        if replied is not None:
            lists["replied"].append(appeal_id)
        # deadlines.on_time: True met in time, False missed (late, or passed unmet), None not due.
        contact = deadlines.on_time(contact_due, contacted, judged_at)
        reply = deadlines.on_time(reply_due, replied, judged_at)
        resolve = deadlines.on_time(resolve_due, resolved, judged_at)
        if contact is True:
            lists["contacted_on_time"].append(appeal_id)
        if reply is True:
            lists["replied_on_time"].append(appeal_id)
        if resolve is True:
            lists["resolved_on_time"].append(appeal_id)
        if contact is False or reply is False or resolve is False:
            lists["overdue"].append(appeal_id)

    # Returns and redos count for the unit they concern.
    concerning = (
        Event.objects.filter(period, action__in=[K.RETURN, K.REDO], unit__in=ids)
        .filter(linked_duplicates_q())
        .order_by()
        .values_list("appeal_id", "action", "unit_id", events.data_field(K.REDO, "after_rating"))
    )
    for appeal_id, action, unit_id, after_rating in concerning.iterator(chunk_size=5000):
        cases = by_id[unit_id]
        if action == K.RETURN:
            cases.add("returned", appeal_id)
        else:
            cases.add("redo_after_rating" if after_rating else "redo_by_office", appeal_id)

    # Suspensions, extensions and ratings count for the case's lead. A few units' are read
    # case by case (the lead's cases, then each one's events of the period); many units'
    # as the period's events of these kinds.
    if len(ids) <= FEW_UNITS:
        led = Q(appeal__in=Appeal.objects.filter(lead_unit__in=ids).values("pk"))
    else:
        led = Q(appeal__lead_unit__in=ids)
    of_the_lead = (
        Event.objects.filter(
            period, led, action__in=[K.APPROVE_SUSPENSION, K.APPROVE_EXTENSION, K.RATE]
        )
        .filter(linked_duplicates_q())
        .order_by()
        .values_list(
            "appeal_id",
            "action",
            "appeal__lead_unit_id",
            KT(events.data_field(K.RATE, "process")),
            KT(events.data_field(K.RATE, "result")),
        )
    )
    _at, rows = _plain_rows(of_the_lead, at=as_of, moments=())
    for appeal_id, action, lead_id, process, result in rows:
        lists = by_id[lead_id].lists
        if action == K.APPROVE_SUSPENSION:
            lists["suspended"].append(appeal_id)
        elif action == K.APPROVE_EXTENSION:
            lists["extensions"].append(appeal_id)
        else:
            lists["rated"].append(appeal_id)
            if process in GOOD:
                lists["process_satisfied"].append(appeal_id)
            if result in GOOD:
                lists["result_satisfied"].append(appeal_id)
    return {cases.unit: cases for cases in by_id.values()}


def _moment(name):
    """The datetime column ``name`` for ``_plain_rows``: as an expression, which SQLite hands
    over as its stored text rather than through Django's converter of the column's type."""
    return Coalesce(name, Value(None), output_field=DateTimeField())


def _plain_rows(queryset, *, at, moments):
    """``(at, rows)``: the rows of ``queryset`` (a ``values_list``) streamed as the database
    sends them, its columns at ``moments`` (``_moment``) and ``at`` made comparable.

    Django converts every value of every row on its own (microseconds a datetime,
    parsed and made aware one by one): for the millions of moments of a year's
    timeline that was most of the cost of counting it. A database with time zones
    (PostgreSQL) hands its moments over aware; one without (SQLite) as text in UTC,
    read here as naive datetimes, so ``at`` is made naive in UTC instead: they
    compare as the aware moments would.
    """
    connection = connections[queryset.db]
    naive = not connection.features.supports_timezones
    if naive:
        at = at.astimezone(connection.timezone).replace(tzinfo=None)
    chunks = queryset.query.get_compiler(queryset.db).execute_sql(
        MULTI,
        chunked_fetch=not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"),
        chunk_size=5000,
    )
    if not naive:
        return at, (row for chunk in chunks for row in chunk)
    moments = tuple(moments)
    parse = dt.datetime.fromisoformat

    def rows():
        for chunk in chunks:
            for row in chunk:
                row = list(row)
                for index in moments:
                    if row[index] is not None:
                        row[index] = parse(row[index])
                yield row

    return at, rows()


def unit_figures(start, end, *, units=None, as_of=None):
    """Figures of each unit for [start, end); ``as_of`` judges what is still open (default: end)."""
    return [
        UnitFigures(
            unit=cases.unit,
            name=cases.name,
            **{name: len(ids) for name, ids in cases.lists.items()},
        ).finish()
        for cases in unit_cases(start, end, units=units, as_of=as_of).values()
    ]


def units_for_user(user):
    """The units whose figures ``user`` may read (``scope.units_in_scope``; 403 for enterprises)."""
    return scope.units_in_scope(user)


# --- snapshots of whole months ---------------------------------------------------------

# How old a snapshot may be before a page counts its month again itself. The
# refresh job runs every 5 minutes, so pages meet a stale snapshot only when the
# job is down; months already over change only by late results and ratings.
RUNNING_MONTH_MAX_AGE = dt.timedelta(minutes=15)
PAST_MONTH_MAX_AGE = dt.timedelta(days=2)
PAST_MONTH_REFRESH = dt.timedelta(hours=12)  # the job recounts past months this often
SNAPSHOT_MONTHS = 13  # the cockpit's twelve-month trend, and the month before it


def _age_within(snapshot, at, end, running_limit, past_limit):
    if snapshot is None or snapshot.computed_at > at:
        return False
    limit = running_limit if snapshot.computed_at < end else past_limit
    return at - snapshot.computed_at < limit


def count_month(start, end, *, at):
    """Count every unit's month [start, end) as of ``at`` and store it as the month's snapshot."""
    rows = unit_figures(start, end, units=counted_units(), as_of=at)
    snapshot, _created = MonthFigures.objects.update_or_create(
        month=clock.local(start).date(),
        defaults={
            "as_of": min(at, end),
            "computed_at": at,
            "units": {row.unit: {name: getattr(row, name) for name in COUNTED} for row in rows},
        },
    )
    return snapshot


def month_snapshots(periods, *, at, units):
    """For each month [start, end) of ``periods``: ``(UnitFigures of units, when counted)``.

    Read from the months' snapshots in one query; a month is counted now when
    it has none or it is older than the job would let it become.
    """
    stored = _stored(periods)
    result = []
    for start, end in periods:
        snapshot = stored.get(clock.local(start).date())
        if not _age_within(snapshot, at, end, RUNNING_MONTH_MAX_AGE, PAST_MONTH_MAX_AGE):
            snapshot = count_month(start, end, at=at)
        rows = [
            UnitFigures(unit=unit.code, name=unit.name, **snapshot.units.get(unit.code, {}))
            for unit in units
        ]
        result.append(([row.finish() for row in rows], snapshot.computed_at))
    return result


def _stored(periods):
    months = [clock.local(start).date() for start, _end in periods]
    return {snapshot.month: snapshot for snapshot in MonthFigures.objects.filter(month__in=months)}


def refresh_snapshots(at=None):
    """The periodic job: recount the running month, and earlier ones not recounted for 12 hours."""
    at = at or clock.now()
    today = clock.local(at)
    periods = months_back(month(today.year, today.month)[0], SNAPSHOT_MONTHS)
    stored = _stored(periods)
    counted = []
    for start, end in periods:
        snapshot = stored.get(clock.local(start).date())
        # A month counted before it ended (the running one included) is always recounted.
        if not _age_within(snapshot, at, end, dt.timedelta(0), PAST_MONTH_REFRESH):
            count_month(start, end, at=at)
            counted.append(f"{start:%Y-%m}")
    return {"counted": counted}
