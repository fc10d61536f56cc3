"""What a pairer owes: the rhythm of check-ins and visits, and what is overdue.

A pairing's next check-in is due ``Rhythm.checkin_days`` after its last one (or
after the pairing began, before the first); its next visit likewise with
``visit_days``, counting the visits its pairer recorded. A kind whose period is
empty owes nothing of that. Overdue is "due before now", decided in the
database (``overdue``), so the cockpit counts it without reading the pairings.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import DateTimeField, Max, Q
from django.db.models.functions import Coalesce

from qitong.visits.models import Kind, Rhythm, Visit

# The seeds' rhythm, used for a kind the admin has not set: Jinan's leaders and units
# call monthly and visit quarterly (seed 001), Lin'an's towns visit weekly (seed 002).
DEFAULTS = {
    Kind.LEADER: (30, 91),
    Kind.UNIT: (30, 91),
    Kind.TOWN: (None, 7),
}


def rhythms():
    """``{kind: (checkin_days, visit_days)}``, the admin's rows over the seeds' defaults."""
    found = dict(DEFAULTS)
    for row in Rhythm.objects.all():
        found[row.kind] = (row.checkin_days, row.visit_days)
    return found


def annotated(pairings):
    """``pairings`` with ``last_checkin`` and ``last_visit`` (their pairer's done visits)."""
    return pairings.annotate(
        last_checkin=Max("checkins__at"),
        last_visit=Max("visits__visited_at", filter=Q(visits__state=Visit.State.DONE)),
    )


def _overdue_q(field, periods, now):
    """Pairings whose ``field`` (or start) is older than their kind's period, as a condition."""
    condition = Q(pk__in=[])
    for kind, days in periods.items():
        if days:
            condition |= Q(kind=kind, **{f"{field}_since__lt": now - dt.timedelta(days=days)})
    return condition


def overdue(pairings, now):
    """The active ``pairings`` owing a check-in or a visit at ``now``, annotated as ``annotated``."""
    table = rhythms()
    since = {
        "checkin_since": Coalesce(Max("checkins__at"), "started_at", output_field=DateTimeField()),
        "visit_since": Coalesce(
            Max("visits__visited_at", filter=Q(visits__state=Visit.State.DONE)),
            "started_at",
            output_field=DateTimeField(),
        ),
    }
    checkin = _overdue_q("checkin", {kind: days[0] for kind, days in table.items()}, now)
    visit = _overdue_q("visit", {kind: days[1] for kind, days in table.items()}, now)
    return pairings.filter(ended_at__isnull=True).annotate(**since).filter(checkin | visit)


@dataclass(frozen=True)
class Owed:
    """What one pairing owes at an instant: each due date (None: not owed) and whether overdue."""

    checkin_due: dt.datetime | None
    visit_due: dt.datetime | None
    checkin_overdue: bool
    visit_overdue: bool

    @property
    def overdue(self):
        return self.checkin_overdue or self.visit_overdue


def owed(pairing, now, table=None):
    """What ``pairing`` (annotated) owes at ``now``."""
    checkin_days, visit_days = (table or rhythms())[pairing.kind]
    checkin_due = visit_due = None
    if checkin_days:
        checkin_due = (pairing.last_checkin or pairing.started_at) + dt.timedelta(days=checkin_days)
    if visit_days:
        visit_due = (pairing.last_visit or pairing.started_at) + dt.timedelta(days=visit_days)
    return Owed(
        checkin_due,
        visit_due,
        checkin_due is not None and checkin_due < now,
        visit_due is not None and visit_due < now,
    )


def with_owed(pairings, now):
    """The annotated pairings, each with its ``owed`` attached, for the pages."""
    table = rhythms()
    rows = list(annotated(pairings))
    for pairing in rows:
        pairing.owed = owed(pairing, now, table)
    return rows


def kind_of(unit=None, leader=None):
    """The kind of pairer: a leader in person, a town, or any other unit."""
    if leader is not None:
        return Kind.LEADER
    return Kind.TOWN if unit.kind == unit.Kind.TOWN else Kind.UNIT
