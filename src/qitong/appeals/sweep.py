"""The deadline and supervision sweep (contracts/api-v1.md, "Sweep").

As of one instant it opens supervisions for the four must-supervise triggers,
raises overdue cases up the escalation ladder, and urges the responsible unit
of every open supervision once per working day, in office hours only.

Run by ``qitong sweep``, every minute by ``qitong serve`` (embedded) or by
Celery beat (production). Safe to run twice for one instant and on two
workers at once: a supervision is claimed by its conditional unique
constraint, an urge by a conditional UPDATE of ``last_urged_on``, an
escalation under the appeal's row lock.
"""

import math
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from qitong.appeals import actions, deadlines
from qitong.appeals.models import Appeal, Supervision
from qitong.core import clock
from qitong.core.clock import SHANGHAI
from qitong.core.workdays import WorkCalendar

S = Appeal.Status
T = Supervision.Trigger


class _DryRun(Exception):
    pass


def run(at=None, *, dry_run=False):
    """Sweep as of ``at`` (default now); returns the JSON-able summary."""
    at = at or clock.now()
    summary = {
        "at": at.astimezone(SHANGHAI).isoformat(),
        "dry_run": dry_run,
        "opened": dict.fromkeys((T.MAJOR, T.REPEATED, T.NEAR_DEADLINE, T.OVERDUE), 0),
        "escalated": 0,
        "urged": 0,
    }
    calendar = WorkCalendar()
    # A dry run does everything in one transaction and rolls it back; a real
    # run commits case by case, so web requests are never held up for long.
    try:
        with transaction.atomic() if dry_run else nullcontext():
            _open(summary, T.MAJOR, major_cases(), at, _("重大紧急事项，必须督办。"))
            _open(
                summary, T.REPEATED, repeated_cases(at), at, _("同类问题反复或集中反映，必须督办。")
            )
            _open(
                summary,
                T.NEAR_DEADLINE,
                near_deadline_cases(at, calendar),
                at,
                _("临近办结期限，必须督办。"),
            )
            overdue = overdue_cases(at)
            _open(summary, T.OVERDUE, overdue, at, _("已超过办理期限，必须督办。"))
            summary["escalated"] = _escalate(overdue, at, calendar)
            summary["urged"] = _urge(at, calendar)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary


def _open(summary, trigger, appeals, at, reason):
    """Open a supervision of ``trigger`` on each case that has none open yet."""
    already = set(
        Supervision.objects.filter(trigger=trigger, closed_at__isnull=True).values_list(
            "appeal_id", flat=True
        )
    )
    for appeal in appeals:
        if appeal.pk in already:
            continue  # the common case from the second sweep on: no insert, no rollback
        if actions.open_supervision(appeal, trigger, at=at, reason=reason) is not None:
            summary["opened"][trigger] += 1


def major_cases():
    """Major cases once accepted (not while they wait to be accepted)."""
    return Appeal.objects.filter(major=True, status__in=Appeal.OPEN_STATES).exclude(
        status=S.SUBMITTED
    )


def repeated_cases(at):
    """Open appeals in a group: one enterprise filing one category often, or many enterprises.

    The groups come from two aggregate queries; the open appeals of the
    window are then matched in memory, so the SQL stays small however many
    groups there are.
    """
    by_one, by_many = settings.QITONG_REPEATED_BY_ONE, settings.QITONG_REPEATED_BY_MANY

    def window(days):
        return Appeal.objects.filter(
            category__isnull=False, created_at__gt=at - timedelta(days=days), created_at__lte=at
        )

    pairs = set(
        window(by_one["days"])
        .values("enterprise_id", "category_id")
        .annotate(n=Count("id"))
        .filter(n__gte=by_one["appeals"])
        .values_list("enterprise_id", "category_id")
    )
    crowded = set(
        window(by_many["days"])
        .values("category_id")
        .annotate(n=Count("enterprise_id", distinct=True))
        .filter(n__gte=by_many["enterprises"])
        .values_list("category_id", flat=True)
    )
    if not pairs and not crowded:
        return []
    many_since = at - timedelta(days=by_many["days"])
    candidates = window(max(by_one["days"], by_many["days"])).filter(status__in=Appeal.OPEN_STATES)
    candidates = candidates.values_list("pk", "enterprise_id", "category_id", "created_at")
    ids = [
        pk
        for pk, enterprise_id, category_id, created_at in candidates
        if (enterprise_id, category_id) in pairs
        or (category_id in crowded and created_at > many_since)
    ]
    return Appeal.objects.filter(pk__in=ids)


def under_supervision_q():
    """Open cases with an open supervision: the office's 督办中 queue, and whom the sweep urges.

    Drawn from the open supervisions (few, indexed), not a lookup per case;
    not a join either, which on a nullable relation also matches cases with none.
    """
    open_supervisions = Supervision.objects.filter(closed_at__isnull=True).values("appeal_id")
    return Q(pk__in=open_supervisions, status__in=Appeal.OPEN_STATES)


def near_deadline_cases(at, calendar):
    """Less than one working day before the resolve deadline."""
    return list(Appeal.objects.filter(deadlines.near_deadline_q(at, calendar)))


def overdue_cases(at):
    return list(Appeal.objects.filter(deadlines.overdue_q(at)))


def target_level(appeal, at, calendar, top):
    """Level 1 (the office) as soon as overdue, one more per full working day overdue."""
    since = deadlines.missed_since(appeal, at)
    if since is None or top == 0:
        return 0
    spent, _provisional = calendar.between(since, at)
    days = Decimal(spent.total_seconds()) / Decimal(calendar.day_length.total_seconds())
    return min(top, 1 + math.floor(days))


def _escalate(overdue, at, calendar):
    top = actions.ladder_top()
    raised = 0
    for appeal in overdue:
        # Judge on the row as read; lock only the few that must rise, and judge again.
        if (
            appeal.escalation_level >= top
            or target_level(appeal, at, calendar, top) <= appeal.escalation_level
        ):
            continue
        with transaction.atomic():
            locked = (
                Appeal.objects.select_for_update(of=("self",))
                .select_related("category")
                .get(pk=appeal.pk)
            )
            level = target_level(locked, at, calendar, top)
            if level > locked.escalation_level:
                raised += level - locked.escalation_level
                actions.raise_level(locked, level, at=at, reason=_("超期未办结，自动升级。"))
    return raised


def _urge(at, calendar):
    """Urge the responsible unit of each supervised case once per working day, in office hours."""
    if not calendar.in_office_hours(at):
        return 0
    today = at.astimezone(SHANGHAI).date()
    not_urged_today = Q(last_urged_on__isnull=True) | Q(last_urged_on__lt=today)
    supervised = Appeal.objects.filter(not_urged_today, under_supervision_q())
    urged = 0
    for appeal_id in supervised.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # The conditional UPDATE is the claim: a second worker finds nothing left.
            if not Appeal.objects.filter(not_urged_today, pk=appeal_id).update(last_urged_on=today):
                continue
            triggers = sorted(
                set(
                    Supervision.objects.filter(
                        appeal_id=appeal_id, closed_at__isnull=True
                    ).values_list("trigger", flat=True)
                )
            )
            labels = "、".join(str(T(trigger).label) for trigger in triggers)
            actions.urge_responsible(
                Appeal.objects.select_related("lead_unit", "office").get(pk=appeal_id),
                at=at,
                note=_("%(triggers)s：请抓紧办理。") % {"triggers": labels},
                cause=labels,
                triggers=triggers,
            )
            urged += 1
    return urged
