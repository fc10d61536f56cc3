"""Closing a month: each project's standing, the rankings by district and by responsible
unit, the warnings after consecutive last places, and the leaders' digest.

A month is closed once, on day ``Rules.close_day`` of the next month (its
reports are due by then); ``close_due`` closes every month that is due and
not closed yet, in order, so the hourly job (``tasks.close_months``) is an
idempotent sweep: a late, repeated or concurrent run changes nothing. A
month's ``MonthClose`` row is written in the same transaction as everything
it produces, messages included, so nothing is judged or sent twice.

Which projects count in a month: registered before the month ended, started
by then (``start_month``), and still in progress when it ended (a project
completed or withdrawn later counts for the months before).

Ranking: a district (or responsible unit) scores the cumulative investment
done of its counted projects as a percentage of what their plans expect by
the month (``plan.rate``); higher is better, equal scores share a place
(1, 2, 2, 4), and a district whose plans expect nothing yet is not ranked.
The last place is the lowest score, when scores differ at all and that
score is below 100% (the period's target not met, as the seed's rule has
it); everyone sharing it is last. Being last ``Rules.yellow_after`` months
in a row brings a yellow warning, ``red_after`` a red one, ``talk_after`` a
talk notice (约谈), each month the run goes on.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.notify import outbox
from qitong.orgs.models import Unit, User
from qitong.projects import months, plan
from qitong.projects.models import (
    Kind,
    Milestone,
    MonthClose,
    Problem,
    Progress,
    Project,
    Ranking,
    Rules,
    Standing,
    Warning,
)

# The most months one run closes: after a long outage, only the latest are judged.
MOST_MONTHS = 24


def table(month):
    """A ranked month as the pages and the API show it: each kind's rows, best first, and
    the warnings issued."""
    rows = Ranking.objects.filter(month=month).select_related("unit").order_by("rank", "unit__code")
    return {
        Kind.DISTRICT: [row for row in rows if row.kind == Kind.DISTRICT],
        Kind.UNIT: [row for row in rows if row.kind == Kind.UNIT],
        "warnings": list(
            Warning.objects.filter(month=month)
            .select_related("unit")
            .order_by("kind", "unit__code")
        ),
    }


def close_instant(month, rules):
    """When ``month`` is closed: midnight starting day ``close_day`` of the next month."""
    return months.end(month) + dt.timedelta(days=rules.close_day - 1)


def last_closed():
    """The latest closed month, or None."""
    return MonthClose.objects.aggregate(last=Max("month"))["last"]


def due_months(now, rules):
    """The months to close at ``now``, oldest first."""
    latest = months.shift(months.of(now), -1)
    if now < close_instant(latest, rules):
        latest = months.shift(latest, -1)
    closed = last_closed()
    if closed is not None:
        first = months.shift(closed, 1)
    else:
        earliest = Project.objects.order_by("created_at").values_list("created_at", flat=True)
        first_created = earliest.first()
        if first_created is None:
            return []
        first = months.of(first_created)
    if first > latest:
        return []
    return months.span(first, latest)[-MOST_MONTHS:]


def close_due(now=None):
    """Close every month due at ``now`` (the job); returns the months closed."""
    now = now or clock.now()
    rules = Rules.load()
    return [month for month in due_months(now, rules) if close_month(month, at=now, rules=rules)]


def counted(month):
    """The projects that count in ``month`` (see the module's docstring)."""
    end = months.end(month)
    return (
        Project.objects.filter(start_month__lte=month, created_at__lt=end)
        .exclude(finished_at__lt=end)
        .order_by("pk")
    )


def evaluate_month(projects, month, rules):
    """``{project id: plan.Month}`` for ``projects``, read in three queries."""
    ids = [project.pk for project in projects]
    reports, milestones = defaultdict(list), defaultdict(list)
    for project_id, when, amount in Progress.objects.filter(
        project_id__in=ids, month__lte=month
    ).values_list("project_id", "month", "investment"):
        reports[project_id].append((when, amount))
    for project_id, *row in Milestone.objects.filter(project_id__in=ids).values_list(
        "project_id", "name", "month", "investment", "reached_month"
    ):
        milestones[project_id].append(tuple(row))
    return {
        project.pk: plan.evaluate(
            project,
            month,
            reports=reports[project.pk],
            milestones=milestones[project.pk],
            rules=rules,
        )
        for project in projects
    }


def rank(scores):
    """``[(key, rate, place, last)]`` of ``{key: rate}``, best first; equal rates share a place.

    Last: the lowest rate, when the rates differ at all and it is below 100%.
    """
    ordered = sorted(scores.items(), key=lambda item: (-item[1], str(item[0])))
    places, rows = {}, []
    for position, (key, value) in enumerate(ordered, start=1):
        places.setdefault(value, position)
        rows.append((key, value, places[value]))
    lowest = ordered[-1][1] if ordered else None
    differ = len({value for _key, value in ordered}) > 1
    return [
        (key, value, place, differ and value == lowest and value < plan.HUNDRED)
        for key, value, place in rows
    ]


def level_for(streak, rules):
    """The warning a run of ``streak`` last places brings, or None."""
    if streak >= rules.talk_after:
        return Warning.Level.TALK
    if streak >= rules.red_after:
        return Warning.Level.RED
    if streak >= rules.yellow_after:
        return Warning.Level.YELLOW
    return None


def close_month(month, *, at=None, rules=None):
    """Judge ``month`` once: standings, rankings, warnings, messages; returns its ``MonthClose``.

    Returns None when the month was already closed (also by a concurrent run).
    The counted projects are locked first, so a report for the month either
    commits before (and is judged) or waits and is refused as too late.
    """
    at = at or clock.now()
    rules = rules or Rules.load()
    try:
        with transaction.atomic():
            if MonthClose.objects.filter(month=month).exists():
                return None
            closing = MonthClose.objects.create(month=month, closed_at=at, rules=rules.as_json())
            ids = list(counted(month).select_for_update().values_list("pk", flat=True))
            projects = list(Project.objects.filter(pk__in=ids).order_by("pk"))
            results = evaluate_month(projects, month, rules)
            Standing.objects.bulk_create(
                Standing(
                    project_id=pk,
                    month=month,
                    expected=result.expected,
                    done=result.done,
                    status=result.status,
                )
                for pk, result in results.items()
            )
            warnings = _rank_and_warn(projects, results, month, at, rules)
            _send_digests(projects, results, warnings, month)
            closing.projects = len(projects)
            closing.save(update_fields=["projects"])
            return closing
    except IntegrityError:
        if MonthClose.objects.filter(month=month).exists():
            return None  # closed by a concurrent run
        raise


def _rank_and_warn(projects, results, month, at, rules):
    """The month's rankings of both kinds and the warnings they bring; returns the warnings."""
    previous = {
        (kind, unit_id): streak
        for kind, unit_id, streak in Ranking.objects.filter(
            month=months.shift(month, -1), last=True
        ).values_list("kind", "unit_id", "streak")
    }
    names = dict(Unit.objects.values_list("pk", "name"))
    rankings, warnings = [], []
    for kind, key in ((Kind.DISTRICT, "district_id"), (Kind.UNIT, "unit_id")):
        sums = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
        for project in projects:
            total = sums[getattr(project, key)]
            total[0] += results[project.pk].expected
            total[1] += results[project.pk].done
            total[2] += 1
        scores = {
            unit_id: plan.rate(done, expected)
            for unit_id, (expected, done, _count) in sums.items()
            if expected > 0
        }
        for unit_id, rate, place, last in rank(scores):
            expected, done, count = sums[unit_id]
            streak = previous.get((kind, unit_id), 0) + 1 if last else 0
            rankings.append(
                Ranking(
                    month=month,
                    kind=kind,
                    unit_id=unit_id,
                    rank=place,
                    rate=rate,
                    projects=count,
                    expected=expected,
                    done=done,
                    last=last,
                    streak=streak,
                )
            )
            level = level_for(streak, rules) if last else None
            if level:
                warnings.append(
                    Warning(
                        month=month,
                        kind=kind,
                        unit_id=unit_id,
                        level=level,
                        streak=streak,
                        reason=_warning_reason(kind, streak, rate),
                        created_at=at,
                    )
                )
    Ranking.objects.bulk_create(rankings)
    Warning.objects.bulk_create(warnings)
    _tell_warned(warnings, month, names)
    return warnings


def _warning_reason(kind, streak, rate):
    return _("连续 %(streak)d 个月在%(kind)s排名中位列末位，本月计划完成率 %(rate)s%%。") % {
        "streak": streak,
        "kind": Kind(kind).label,
        "rate": rate,
    }


def rankings_url(month):
    return f"{reverse('projects-rankings')}?month={month}"


def _tell_warned(warnings, month, names):
    """Each warned unit's (or district government's) staff hears of its warning."""
    if not warnings:
        return
    staff = defaultdict(list)
    for user in User.objects.filter(
        is_active=True, unit_id__in={warning.unit_id for warning in warnings}
    ).only("id", "email", "unit_id"):
        staff[user.unit_id].append(user)
    outbox.enqueue_many(
        (
            (
                staff[warning.unit_id],
                _("重点项目推进%(level)s：%(unit)s（%(month)s）")
                % {
                    "level": warning.get_level_display(),
                    "unit": names.get(warning.unit_id, ""),
                    "month": months.words(month),
                },
                warning.reason,
                rankings_url(month),
            )
            for warning in warnings
        ),
        kind="project_warning",
    )


def _send_digests(projects, results, warnings, month):
    """The month's digest to each responsible leader: their projects, statuses and warnings."""
    by_leader = defaultdict(list)
    for project in projects:
        by_leader[project.leader_id].append(project)
    if not by_leader:
        return
    leaders = User.objects.filter(pk__in=by_leader, is_active=True).only("id", "email", "username")
    names = dict(Unit.objects.values_list("pk", "name"))
    problems = dict(
        Problem.objects.filter(project_id__in=[project.pk for project in projects])
        .filter(progress__month=month)
        .values("project_id")
        .annotate(count=Count("pk"))
        .values_list("project_id", "count")
    )
    statuses = dict(Standing.Status.choices)
    registry = reverse("projects-registry")
    letters = []
    for leader in leaders:
        mine = by_leader[leader.pk]
        lines = [
            _("%(month)s重点项目月报：您负责的项目 %(count)d 个。")
            % {"month": months.words(month), "count": len(mine)}
        ]
        for number, project in enumerate(mine, start=1):
            result = results[project.pk]
            lines.append(
                _(
                    "%(number)d. %(name)s（%(district)s，责任单位：%(unit)s）：%(status)s；"
                    "累计完成投资 %(done)s 万元，计划累计 %(expected)s 万元，总投资 %(planned)s 万元；"
                    "本月提出问题 %(problems)d 个。"
                )
                % {
                    "number": number,
                    "name": project.name,
                    "district": names.get(project.district_id, ""),
                    "unit": names.get(project.unit_id, ""),
                    "status": statuses[result.status],
                    "done": result.done,
                    "expected": result.expected,
                    "planned": project.planned_investment,
                    "problems": problems.get(project.pk, 0),
                }
            )
        involved = {project.district_id for project in mine} | {project.unit_id for project in mine}
        for warning in warnings:
            if warning.unit_id in involved:
                lines.append(
                    _("预警：%(unit)s %(level)s——%(reason)s")
                    % {
                        "unit": names.get(warning.unit_id, ""),
                        "level": warning.get_level_display(),
                        "reason": warning.reason,
                    }
                )
        letters.append(
            (
                [leader],
                _("重点项目月报（%(month)s）") % {"month": months.words(month)},
                "\n".join(lines),
                f"{registry}?{urlencode({'leader': leader.username})}",
            )
        )
    outbox.enqueue_many(letters, kind="project_digest")
