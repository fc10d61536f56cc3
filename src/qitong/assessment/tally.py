"""Each assessed unit's counts for a month, the cases behind them, and their stored tallies.

The counts are ``appeals.figures``' (``figures.unit_cases``: received, on time,
overdue, returned, redo, ratings…), read in the same pass with what the
assessment adds:

- ``supervised``: the cases the unit leads that were put under supervision in
  the month because of how they were handled (overdue, near their deadline,
  or by the office's hand); major and repeated cases are supervised for what
  they are, whoever handles them, and do not count;
- ``general_…`` and ``special_…``: what was received and resolved on time,
  split into general items and special or multi-department ones (major,
  complex or coordinated cases), for seed 000's targets (general items 100%
  on time, the others at least 90%).

Like the figures, every count is the length of a list of appeal ids
(``unit_lists``), so a count and the cases listed behind it never disagree.

A period's score adds up its months. Counting a province's month takes
seconds, so each month's counts are stored (``MonthTally``): ``tallies``
reads them and counts a month again only when its row is missing or older
than allowed; the periodic job ``refresh`` recounts the running month every
few minutes and the months not yet settled twice a day. A month settles once
every case dispatched in it is past its deadlines (30 working days at most,
about six weeks): a row counted ``SETTLE`` after the month's end is final.
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from qitong.appeals import events, figures
from qitong.appeals.models import Appeal, Event, Supervision
from qitong.assessment.access import assessed_units
from qitong.assessment.models import MonthTally
from qitong.core import clock

K = Event.Kind
T = Supervision.Trigger
# The supervisions a unit is charged with: opened because of how the case was handled.
CHARGED_TRIGGERS = (T.OVERDUE, T.NEAR_DEADLINE, T.MANUAL)
EXTRA = (
    "supervised",
    "general_received",
    "general_resolved_on_time",
    "special_received",
    "special_resolved_on_time",
)
COUNTS = (*figures.COUNTED, *EXTRA)

RUNNING_MAX_AGE = dt.timedelta(minutes=30)  # the job recounts the running month every 10
PAST_MAX_AGE = dt.timedelta(days=2)
PAST_REFRESH = dt.timedelta(hours=12)
SETTLE = dt.timedelta(days=60)
WINDOW_MONTHS = 4  # the running month and those before it that may not have settled


def special_q():
    """Special and multi-department items (seed 000): major, complex or coordinated cases."""
    return Q(major=True) | Q(complex=True) | Q(handling_mode=Appeal.Mode.COORDINATED)


def unit_lists(start, end, *, units, as_of=None):
    """``{unit code: {count name: [appeal ids]}}`` for [start, end), every name of ``COUNTS``."""
    units = list(units)
    cases = figures.unit_cases(start, end, units=units, as_of=as_of)
    code_of = {unit.pk: unit.code for unit in units}
    # Only these units' cases, as the figures read them (one unit's: the cases behind its points).
    dispatched = Event.objects.filter(
        action=K.DISPATCH, at__gte=start, at__lt=end, unit__in=list(code_of)
    ).values("appeal_id")
    special = set(
        Appeal.objects.filter(special_q(), pk__in=dispatched).values_list("pk", flat=True)
    )
    supervised = defaultdict(set)
    trigger = events.data_field(K.SUPERVISE, "trigger")
    opened = Event.objects.filter(
        action=K.SUPERVISE,
        at__gte=start,
        at__lt=end,
        appeal__lead_unit__in=list(code_of),
        **{f"{trigger}__in": [str(value) for value in CHARGED_TRIGGERS]},
    ).values_list("appeal_id", "appeal__lead_unit_id")
    for appeal_id, lead_id in opened.iterator(chunk_size=5000):
        code = code_of.get(lead_id)
        if code is not None:
            supervised[code].add(appeal_id)
    result = {}
    for code, counted in cases.items():
        lists = dict(counted.lists)
        for name in ("received", "resolved_on_time"):
            lists[f"special_{name}"] = [pk for pk in lists[name] if pk in special]
            lists[f"general_{name}"] = [pk for pk in lists[name] if pk not in special]
        lists["supervised"] = sorted(supervised.get(code, ()))
        result[code] = lists
    return result


def count(start, end, *, at, units=None):
    """Count every assessed unit's month [start, end) as of ``at`` and store it; returns the row."""
    units = list(assessed_units() if units is None else units)
    lists = unit_lists(start, end, units=units, as_of=at)
    tally, _created = MonthTally.objects.update_or_create(
        month=clock.local(start).date(),
        defaults={
            "as_of": min(at, end),
            "computed_at": at,
            "units": {
                code: {name: len(ids) for name, ids in named.items()}
                for code, named in lists.items()
            },
        },
    )
    return tally


def final(tally, end):
    """Counted once the month had settled: no later count would differ."""
    return tally.computed_at >= end + SETTLE


def _fresh(tally, at, end):
    if tally is None or tally.computed_at > at:
        return False
    if final(tally, end):
        return True
    limit = RUNNING_MAX_AGE if tally.computed_at < end else PAST_MAX_AGE
    return at - tally.computed_at < limit


def _stored(months):
    days = [clock.local(start).date() for start, _end in months]
    return {tally.month: tally for tally in MonthTally.objects.filter(month__in=days)}


def tallies(months, *, at):
    """The stored tally of each month [start, end) of ``months``, counted now where stale."""
    stored = _stored(months)
    result = []
    for start, end in months:
        tally = stored.get(clock.local(start).date())
        if not _fresh(tally, at, end):
            tally = count(start, end, at=at)
        result.append(tally)
    return result


def refresh(at=None):
    """The periodic job: keep the running month, the months not yet settled and this year's counted.

    A month is counted when it has no row; the running month, and a month
    counted before it ended, every run; a month not yet settled when its row
    is 12 hours old, and once more when it settles. Returns which months it
    counted.
    """
    at = at or clock.now()
    today = clock.local(at)
    running = figures.month(today.year, today.month)
    months = dict(
        [
            *figures.months_back(running[0], WINDOW_MONTHS),
            *(figures.month(today.year, number) for number in range(1, today.month + 1)),
        ]
    )
    stored = _stored(list(months.items()))
    counted = []
    for start, end in sorted(months.items()):
        tally = stored.get(clock.local(start).date())
        due = (
            tally is None
            or tally.computed_at < end
            or (
                not final(tally, end)
                and (at >= end + SETTLE or at - tally.computed_at >= PAST_REFRESH)
            )
        )
        if due:
            count(start, end, at=at)
            counted.append(f"{clock.local(start):%Y-%m}")
    return {"counted": counted}
