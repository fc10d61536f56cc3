"""The deadline rules of contracts/api-v1.md, in one place.

Deadlines are derived, never edited: from the dispatch instant, the limits
below (halved for key-tier enterprises), the approved extension and the
working time spent suspended. ``schedule`` computes them from those alone
(the triage screen previews a dispatch with it); ``apply`` writes them to the
appeal's indexed columns; it runs at dispatch, after an extension, after a resume and whenever
the calendar of a year changes.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, DateTimeField, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from qitong.appeals.models import Appeal, TimeLimits
from qitong.core.workdays import Deadline, WorkCalendar


@dataclass(frozen=True)
class Limits:
    """Working-day limits as a dispatch copied them from ``TimeLimits`` (where the defaults live)."""

    contact_days: Decimal
    reply_days: Decimal
    resolve_days: Decimal
    long_days: Decimal  # complex or coordinated cases
    cap_days: Decimal  # no extension past this from dispatch
    co_unit_days: Decimal  # a co-unit's part of a coordinated case
    key_factor: Decimal  # for key enterprises

    @classmethod
    def from_json(cls, data):
        return cls(**{name: Decimal(value) for name, value in data.items()})


def limits_in_force():
    """The admin's ``TimeLimits`` row as JSON: what a dispatch copies onto its appeal."""
    return TimeLimits.load().as_json()


def current_limits():
    """The limits in force now."""
    return Limits.from_json(limits_in_force())


def limits_of(appeal):
    """The limits copied onto the appeal at its dispatch."""
    return Limits.from_json(appeal.limits) if appeal.limits else current_limits()


@dataclass(frozen=True)
class Step:
    """One step of the clock: its deadline column, the milestone that meets it, its names."""

    key: str
    due: str
    done: str
    label: str  # on the case page
    short: str  # in a list's "next step" column


# Each deadline column and the milestone that meets it (``Appeal.MILESTONES``).
MILESTONE_FIELDS = Appeal.MILESTONES
STEPS = tuple(
    Step(key, due, done, label, short)
    for (due, done), (key, label, short) in zip(
        MILESTONE_FIELDS,
        (
            ("contact", _("联系企业"), _("联系")),
            ("reply", _("答复企业"), _("答复")),
            ("resolve", _("办结"), _("办结")),
        ),
        strict=True,
    )
)
# The next step of a case in a list, by ``with_next_deadline``'s ``next_step`` (``co``: a co-unit's part).
STEP_WORDS = {**{step.key: step.short for step in STEPS}, "co": _("协办")}


def halved_for(enterprise):
    """Whether a dispatch now halves the limits: key-tier enterprises (the fast lane) get half."""
    return enterprise.is_key


def _factor(halved, limits):
    return limits.key_factor if halved else Decimal(1)


def limit_days(*, halved, mode, complex, limits):
    """Working days to resolve: 15, or 30 for complex or coordinated cases; halved for key enterprises."""
    long = complex or mode == "coordinated"
    return (limits.long_days if long else limits.resolve_days) * _factor(halved, limits)


def resolve_limit(appeal):
    return limit_days(
        halved=appeal.halved,
        mode=appeal.handling_mode,
        complex=appeal.complex,
        limits=limits_of(appeal),
    )


def extension_room(appeal):
    """How many more working days an extension may add before the cap."""
    limits = limits_of(appeal)
    cap = limits.cap_days * _factor(appeal.halved, limits)
    return max(Decimal(0), cap - resolve_limit(appeal) - appeal.extension_days)


@dataclass(frozen=True)
class Schedule:
    """The deadlines one dispatch sets, each a ``Deadline`` (instant + provisional flag)."""

    contact: Deadline
    reply: Deadline
    resolve: Deadline
    co_unit: Deadline  # a co-unit's part, when the case is coordinated

    @property
    def provisional(self):
        return any(
            due.provisional for due in (self.contact, self.reply, self.resolve, self.co_unit)
        )


def schedule(
    start,
    *,
    halved,
    mode,
    complex,
    extension_days=Decimal(0),
    suspended_days=Decimal(0),
    calendar,
    limits=None,
):
    """The deadlines of a case dispatched at ``start``; reads nothing but the calendar.

    ``apply`` writes them to a dispatched appeal; the office's triage screen
    shows them before the dispatch is confirmed.
    """
    limits = limits or current_limits()
    each = _factor(halved, limits)
    limit = limit_days(halved=halved, mode=mode, complex=complex, limits=limits)
    return Schedule(
        contact=calendar.add(start, limits.contact_days * each + suspended_days),
        reply=calendar.add(start, limits.reply_days * each + suspended_days),
        resolve=calendar.add(start, limit + extension_days + suspended_days),
        co_unit=calendar.add(start, min(limits.co_unit_days * each, limit) + suspended_days),
    )


def apply(appeal, calendar=None):
    """Compute and set the deadlines of a dispatched appeal (and of its co-units)."""
    if appeal.dispatched_at is None:
        return
    due = schedule(
        appeal.dispatched_at,
        halved=appeal.halved,
        mode=appeal.handling_mode,
        complex=appeal.complex,
        extension_days=appeal.extension_days,
        suspended_days=appeal.suspended_days,
        calendar=calendar or WorkCalendar(),
        limits=limits_of(appeal),
    )
    appeal.contact_due, appeal.reply_due, appeal.resolve_due = (
        due.contact.at,
        due.reply.at,
        due.resolve.at,
    )
    appeal.assignments.filter(role="co", active=True).update(due_at=due.co_unit.at)
    appeal.provisional = due.provisional


def with_next_deadline(appeals, *, running_only=True):
    """Annotate each case's earliest unmet deadline (``next_due``) and its step (``next_step``).

    Contact, reply and resolve deadlines are ordered by construction (1, 3 and
    15+ working days from dispatch, moved alike by suspension), so the first
    unmet one in that order is the earliest; the database can sort by it.
    With ``running_only``, cases off the clock (not dispatched, suspended,
    done) have none.
    """
    running = (
        Q(status__in=Appeal.HANDLING_STATES, suspended_since__isnull=True) if running_only else Q()
    )
    unmet = [(Q(**{f"{step.done}__isnull": True}), step.due, step.key) for step in STEPS]
    return appeals.annotate(
        next_due=Case(
            *(When(running & condition, then=F(due)) for condition, due, _step in unmet),
            default=None,
            output_field=DateTimeField(),
        ),
        next_step=Case(
            *(When(running & condition, then=Value(step)) for condition, _due, step in unmet),
            default=Value(""),
            output_field=CharField(),
        ),
    )


def missed_since(appeal, at):
    """The deadline a running case has missed as of ``at`` (its earliest unmet), or None."""
    due = appeal.earliest_unmet_due()
    return due if due is not None and due < at else None


def working_days_left(due, at, calendar):
    """Working days from ``at`` to ``due``; negative once ``due`` has passed."""
    if due is None:
        return None
    day = Decimal(calendar.day_length.total_seconds())
    if due >= at:
        spent, _provisional = calendar.between(at, due)
        return (Decimal(spent.total_seconds()) / day).quantize(Decimal("0.1"))
    spent, _provisional = calendar.between(due, at)
    return -(Decimal(spent.total_seconds()) / day).quantize(Decimal("0.1"))


def suspended_working_days(appeal, until, calendar=None):
    """Working days from the start of the current suspension to ``until``."""
    calendar = calendar or WorkCalendar()
    spent, _provisional = calendar.between(appeal.suspended_since, until)
    days = Decimal(spent.total_seconds()) / Decimal(calendar.day_length.total_seconds())
    return days.quantize(Decimal("0.001"))


def is_overdue(appeal, at):
    """Whether a case under handling has let a deadline pass without its milestone.

    Only dispatched or in-progress cases that are not suspended count: the
    clock stops while a case waits on the enterprise. The sweep, the API and
    the ledger all judge lateness by this rule (``overdue_q`` for querysets).
    """
    return missed_since(appeal, at) is not None


def overdue_q(at):
    """``is_overdue`` as a filter on appeals."""
    late = Q()
    for due, done in MILESTONE_FIELDS:
        late |= Q(**{f"{due}__lt": at, f"{done}__isnull": True})
    return Q(status__in=Appeal.HANDLING_STATES, suspended_since__isnull=True) & late


def rejudge_overdue(at):
    """Have the next sweep judge every overdue case again; returns how many were due later.

    For an overdue case the sweep stores when it next rises
    (``Appeal.escalation_due``), counted in working days on the calendar and up
    the ladder it saw. A day made a working day after the missed deadline, or a
    rung added at the top, brings that instant forward without moving any
    deadline, so ``Appeal.save`` never hears of it; and the stored instant must
    never be later than the true one. Called when the calendar or the ladder
    changes, which is seldom; the sweep then stores the exact instant again.
    """
    later = Q(escalation_due__isnull=True) | Q(escalation_due__gt=at)
    return Appeal.objects.filter(overdue_q(at), later).update(escalation_due=at)


def near_deadline_q(at, calendar):
    """Running cases with less than one working day left before the resolve deadline.

    Working time from ``at`` grows with the instant, and ``calendar.add(at, 1)``
    is the first instant one working day away, so "less than one working day
    left" is "due before that instant": one indexed range, no calendar per case.
    """
    return Q(
        status__in=Appeal.HANDLING_STATES,
        suspended_since__isnull=True,
        resolve_due__gt=at,
        resolve_due__lt=calendar.add(at, 1).at,
    )


def on_time(due, done, at):
    """Whether a milestone was met in time: True, False, or None while not yet due."""
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if due < at else None
