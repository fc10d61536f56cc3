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

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext

from qitong.appeals import deadlines, events
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


def linked_duplicates_q():
    """The events of appeals an office linked as another's duplicate: counted once, as their primary.

    The links are the dispatch app's (``dispatch.DuplicateLink``), named here
    by the app registry, since that app sits above this one; without it,
    nothing is left out.
    """
    try:
        links = apps.get_model("dispatch", "DuplicateLink")
    except LookupError:
        return Q()
    return ~Q(appeal_id__in=links.objects.values("appeal_id"))


def unit_cases(start, end, *, units=None, as_of=None):
    """The appeal ids behind each unit's figures for [start, end), by unit code.

    ``as_of`` judges what is still open (default: end). ``unit_figures`` counts
    these lists, so a figure and the cases listed behind it never disagree.
    """
    as_of = min(as_of or end, end)
    units = list(units if units is not None else scope.handling_units())
    by_code = {unit.code: UnitCases(unit=unit.code, name=unit.name) for unit in units}
    by_id = {unit.pk: by_code[unit.code] for unit in units}

    # Plain rows, not model instances: a province's month is tens of thousands of events.
    dispatches = (
        Event.objects.filter(action=K.DISPATCH, at__gte=start, at__lt=end)
        .filter(linked_duplicates_q())
        .order_by()
        .values_list(
            "appeal_id",
            events.data_field(K.DISPATCH, "lead_unit"),
            events.data_field(K.DISPATCH, "mode"),
            "appeal__lead_unit_id",
            "appeal__signed_at",
            "appeal__replied_at",
            "appeal__contact_due",
            "appeal__contacted_at",
            "appeal__reply_due",
            "appeal__resolve_due",
            "appeal__resolved_at",
        )
    )
    seen = set()
    for row in dispatches.iterator(chunk_size=5000):
        (
            appeal_id,
            code,
            mode,
            lead_id,
            signed,
            replied,
            contact_due,
            contacted,
            reply_due,
            resolve_due,
            resolved,
        ) = row
        cases = by_code.get(code)
        if cases is None or mode == events.TO_DISTRICT or (appeal_id, code) in seen:
            continue
        seen.add((appeal_id, code))
        cases.add("received", appeal_id)
        if lead_id is None or by_id.get(lead_id) is not cases:
            continue  # returned since: counted under "returned"
        cases.add("signed", appeal_id, signed is not None)
        cases.add("replied", appeal_id, replied is not None)
        # deadlines.on_time: True met in time, False missed (late, or passed unmet), None not due.
        met = [
            deadlines.on_time(due, done, as_of)
            for due, done in (
                (contact_due, contacted),
                (reply_due, replied),
                (resolve_due, resolved),
            )
        ]
        cases.add("contacted_on_time", appeal_id, met[0] is True)
        cases.add("replied_on_time", appeal_id, met[1] is True)
        cases.add("resolved_on_time", appeal_id, met[2] is True)
        cases.add("overdue", appeal_id, False in met)

    counted_events = (
        Event.objects.filter(
            action__in=[K.RETURN, K.REDO, K.APPROVE_SUSPENSION, K.APPROVE_EXTENSION, K.RATE],
            at__gte=start,
            at__lt=end,
        )
        .filter(linked_duplicates_q())
        .order_by()
        .values_list(
            "appeal_id",
            "action",
            "unit_id",
            "appeal__lead_unit_id",
            events.data_field(K.REDO, "after_rating"),
            events.data_field(K.RATE, "process"),
            events.data_field(K.RATE, "result"),
        )
    )
    for (
        appeal_id,
        action,
        event_unit,
        lead_id,
        after_rating,
        process,
        result,
    ) in counted_events.iterator(chunk_size=5000):
        cases = by_id.get(event_unit if action in (K.RETURN, K.REDO) else lead_id)
        if cases is None:
            continue
        if action == K.RETURN:
            cases.add("returned", appeal_id)
        elif action == K.REDO:
            cases.add("redo_after_rating" if after_rating else "redo_by_office", appeal_id)
        elif action == K.APPROVE_SUSPENSION:
            cases.add("suspended", appeal_id)
        elif action == K.APPROVE_EXTENSION:
            cases.add("extensions", appeal_id)
        elif action == K.RATE:
            cases.add("rated", appeal_id)
            cases.add("process_satisfied", appeal_id, process in GOOD)
            cases.add("result_satisfied", appeal_id, result in GOOD)
    return by_code


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
