"""The leaders' cockpit: the city's figures for a month and the cases behind each of them.

Every number the cockpit shows is either a count from ``figures.unit_cases``
(what units received and did in the month, summed over units) or a count of a
queryset of open cases as of now. ``cases`` returns the appeals behind any of
those numbers from the very same source, so a card and its click-through page
agree. The month counts come from the month's snapshot (``figures.month_snapshots``,
at most a few minutes old, its time shown on the page) while the cases behind a
figure are recounted when asked for; the page says how many it found.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, FilteredRelation, Max, Q
from django.utils.translation import gettext_lazy as _

from qitong.appeals import deadlines, figures
from qitong.appeals.access import visible_appeals
from qitong.appeals.models import Appeal, EscalationStep, Event
from qitong.orgs import scope
from qitong.policies.access import visible_policies
from qitong.policies.models import Push
from qitong.visits import access as visit_access
from qitong.visits import rhythm

TREND_MONTHS = 12
ESCALATED_TO_ME_SHOWN = 5


@dataclass(frozen=True)
class PeriodKind:
    """Cases behind a figure of the month: the ``plus`` lists less the ``minus`` lists.

    ``figures.UnitCases`` holds one appeal id per thing counted, so the
    difference of the lists is exactly "received but not contacted on time",
    "rated but not satisfied" and so on, case by case.
    """

    label: str
    plus: tuple
    minus: tuple = ()
    note: str = ""


NOTE_RECEIVED = _("收到但未按期完成的诉求，含尚未到期和已退回的：它们同样计入比率的分母。")
PERIOD_KINDS = {
    "received": PeriodKind(_("收到诉求"), ("received",)),
    "contact_late": PeriodKind(
        _("未按时联系"), ("received",), ("contacted_on_time",), note=NOTE_RECEIVED
    ),
    "reply_late": PeriodKind(
        _("未按时答复"), ("received",), ("replied_on_time",), note=NOTE_RECEIVED
    ),
    "resolve_late": PeriodKind(
        _("未按时办结"), ("received",), ("resolved_on_time",), note=NOTE_RECEIVED
    ),
    "overdue": PeriodKind(_("超期（含超期后完成）"), ("overdue",)),
    "returned": PeriodKind(_("退回"), ("returned",)),
    "redo": PeriodKind(_("重办"), ("redo_by_office", "redo_after_rating")),
    "unsigned": PeriodKind(_("未签收"), ("received",), ("signed",), note=NOTE_RECEIVED),
    "not_replied": PeriodKind(_("未答复"), ("received",), ("replied",), note=NOTE_RECEIVED),
    "rated": PeriodKind(_("已评价"), ("rated",)),
    "process_unsatisfied": PeriodKind(_("过程不满意"), ("rated",), ("process_satisfied",)),
    "unsatisfied": PeriodKind(_("结果不满意"), ("rated",), ("result_satisfied",)),
}
# Figures of the present moment: they do not depend on the month.
CURRENT_KINDS = {
    "overdue_now": _("超期在办"),
    "escalated": _("已升级"),
    "escalated_to_me": _("升级到我"),
}
KINDS = {**{key: kind.label for key, kind in PERIOD_KINDS.items()}, **CURRENT_KINDS}


def can_view(user):
    """The cockpit shows the whole city: for whoever sees all (``scope.sees_all``)."""
    return scope.sees_all(user)


# --- the cases behind a figure --------------------------------------------------------


def _counted(cases_by_code, kind, unit=None):
    """One entry per counted thing of ``kind`` (an appeal may appear more than once)."""
    spec = PERIOD_KINDS[kind]
    total = Counter()
    for code, cases in cases_by_code.items():
        if unit and code != unit:
            continue
        plus = Counter(pk for name in spec.plus for pk in cases.lists[name])
        minus = Counter(pk for name in spec.minus for pk in cases.lists[name])
        total += plus - minus
    return total


def open_appeals(user):
    return visible_appeals(user).filter(status__in=Appeal.OPEN_STATES)


def overdue_now(user, at):
    return visible_appeals(user).filter(deadlines.overdue_q(at))


def escalated(user):
    return open_appeals(user).filter(escalation_level__gte=1)


def escalated_to(user):
    """Open cases escalated to the rung of the ladder held by ``user``'s unit, newest first."""
    unit = user.unit
    if unit is None:
        return Appeal.objects.none()
    # One join with the unit's escalation events and their latest time per case,
    # not a lookup per case.
    return (
        open_appeals(user)
        .annotate(
            mine=FilteredRelation(
                "events", condition=Q(events__action=Event.Kind.ESCALATE, events__unit=unit)
            )
        )
        .filter(mine__isnull=False)
        .annotate(escalated_at=Max("mine__at"))
        .order_by("-escalated_at", "-pk")
    )


@dataclass
class CaseList:
    appeals: object  # a queryset of Appeal
    count: int  # the figure as the cockpit shows it
    distinct: int  # how many different appeals it covers


def cases(kind, *, user, start, end, at, unit=None, units=None):
    """The appeals behind figure ``kind`` for unit code ``unit`` (None: the city) in [start, end).

    Month figures are recounted with ``figures.unit_cases`` exactly as the
    cockpit counted them; the present-moment figures are plain querysets.
    """
    if kind in PERIOD_KINDS:
        units = [u for u in units or figures.counted_units() if not unit or u.code == unit]
        counted = _counted(figures.unit_cases(start, end, units=units, as_of=at), kind, unit)
        # One month of a county's cases is a few thousand ids at most: fine for IN (...).
        appeals = visible_appeals(user).filter(pk__in=list(counted))
        count, distinct = sum(counted.values()), len(counted)
    else:
        appeals = {
            "overdue_now": lambda: overdue_now(user, at),
            "escalated": lambda: escalated(user),
            "escalated_to_me": lambda: escalated_to(user),
        }[kind]()
        if unit:
            appeals = appeals.filter(lead_unit__code=unit)
        count = distinct = None
    appeals = appeals.select_related("enterprise", "lead_unit")
    if count is None:
        count = distinct = appeals.count()
    return CaseList(appeals=appeals, count=count, distinct=distinct)


def mark_overdue(appeals, at):
    """Flag each listed case that has let a deadline pass, and which deadlines (shown red)."""
    for appeal in appeals:
        appeal.overdue = deadlines.is_overdue(appeal, at)
        milestones = [
            (due, getattr(appeal, due), getattr(appeal, done))
            for due, done in deadlines.MILESTONE_FIELDS
        ]
        appeal.missed = {
            name
            for name, due, done in milestones
            if appeal.overdue and due is not None and due < at and done is None
        }
    return appeals


# --- the cockpit page -----------------------------------------------------------------


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _rate_card(kind, label, part, whole, miss_label, whole_label):
    return {
        "kind": kind,
        "label": label,
        "percent": _percent(part, whole),
        "count": whole - part,
        "miss_label": miss_label,
        "whole": whole,
        "whole_label": whole_label,
    }


def _sum(rows, name):
    return sum(getattr(row, name) for row in rows)


def _ranking(rows):
    """Units that received cases, best resolve-on-time rate first, then result satisfaction."""
    active = [row for row in rows if row.received]

    def key(row):
        resolve = row.rates["resolve_on_time"] or 0
        satisfaction = row.rates["result_satisfaction"]
        return (-resolve, -(satisfaction if satisfaction is not None else -1), row.unit)

    return [
        {
            "figures": row,
            "redo": row.redo_by_office + row.redo_after_rating,
            "percent": {
                name: None if v is None else round(100 * v, 1) for name, v in row.rates.items()
            },
        }
        for row in sorted(active, key=key)
    ]


def trend(months):
    """Received cases and the resolve-on-time rate of the city, month by month.

    ``months``: ``(month start, unit figures)`` pairs, oldest first.
    """
    rows = []
    for month_start, month_rows in months:
        received = _sum(month_rows, "received")
        resolved = _sum(month_rows, "resolved_on_time")
        rows.append(
            {
                "month": f"{month_start:%Y-%m}",
                "received": received,
                "resolved_on_time": resolved,
                "resolve_percent": _percent(resolved, received),
            }
        )
    return rows


def policy_figures(user, start, end):
    """The month's policies: published (by their date), and pushed with how many pushes.

    Pushed: the policies matched in the month that reached at least one enterprise,
    read through the indexed ``matched_at`` of the few policies and their pushes' pairs,
    never by scanning every push of every month.
    """
    policies = visible_policies(user)
    published = policies.filter(published__gte=start.date(), published__lt=end.date()).count()
    pushes = Push.objects.filter(
        policy__in=policies.filter(matched_at__gte=start, matched_at__lt=end).values("pk"),
        pushed_at__gte=start,
        pushed_at__lt=end,
    ).aggregate(policies=Count("policy", distinct=True), pushes=Count("pk"))
    return {"published": published, "pushed": pushes["policies"], "pushes": pushes["pushes"]}


def overview(user, start, end, at):
    """Everything the cockpit page shows for the month [start, end), judged at ``at``."""
    units = figures.counted_units()
    periods = figures.months_back(start, TREND_MONTHS)  # ends with the month on show
    snapshots = figures.month_snapshots(periods, at=at, units=units)
    rows, counted_at = snapshots[-1]
    received = _sum(rows, "received")
    rated = _sum(rows, "rated")
    rate_cards = [
        _rate_card(
            "contact_late",
            _("按时联系率"),
            _sum(rows, "contacted_on_time"),
            received,
            _("未按时联系"),
            _("收到"),
        ),
        _rate_card(
            "reply_late",
            _("按时答复率"),
            _sum(rows, "replied_on_time"),
            received,
            _("未按时答复"),
            _("收到"),
        ),
        _rate_card(
            "resolve_late",
            _("按时办结率"),
            _sum(rows, "resolved_on_time"),
            received,
            _("未按时办结"),
            _("收到"),
        ),
        _rate_card(
            "process_unsatisfied",
            _("过程满意度"),
            _sum(rows, "process_satisfied"),
            rated,
            _("不满意"),
            _("评价"),
        ),
        _rate_card(
            "unsatisfied",
            _("结果满意度"),
            _sum(rows, "result_satisfied"),
            rated,
            _("不满意"),
            _("评价"),
        ),
    ]
    three = [
        _rate_card(
            "unsigned",
            _("问题见面率"),
            _sum(rows, "signed"),
            received,
            _("未签收"),
            _("收到"),
        ),
        _rate_card(
            "not_replied",
            _("问题反馈率"),
            _sum(rows, "replied"),
            received,
            _("未答复"),
            _("收到"),
        ),
        _rate_card(
            "unsatisfied",
            _("办理满意率"),
            _sum(rows, "result_satisfied"),
            rated,
            _("不满意"),
            _("评价"),
        ),
    ]
    to_me = escalated_to(user).select_related("enterprise", "lead_unit")
    steps = {step.level: step.title for step in EscalationStep.objects.all()}
    shown = list(to_me[:ESCALATED_TO_ME_SHOWN])
    for appeal in shown:
        appeal.level_title = steps.get(appeal.escalation_level, "")
    return {
        "received": received,
        "rate_cards": rate_cards,
        "current_cards": [
            {
                "kind": "overdue_now",
                "label": CURRENT_KINDS["overdue_now"],
                "count": overdue_now(user, at).count(),
            },
            {
                "kind": "escalated",
                "label": CURRENT_KINDS["escalated"],
                "count": escalated(user).count(),
            },
            {
                "kind": "escalated_to_me",
                "label": CURRENT_KINDS["escalated_to_me"],
                "count": len(shown) if len(shown) < ESCALATED_TO_ME_SHOWN else to_me.count(),
            },
        ],
        "three": three,
        "ranking": _ranking(rows),
        "trend": trend(
            [
                (month_start, month_rows)
                for (month_start, _end), (month_rows, _at) in zip(periods, snapshots, strict=True)
            ]
        ),
        "escalated_to_me": shown,
        "policies": policy_figures(user, start, end),
        "pairings_overdue": rhythm.overdue(visit_access.visible_pairings(user), at).count(),
        "period_end": end - dt.timedelta(days=1),
        "counted_at": counted_at,
    }
