"""The deadline and supervision sweep (contracts/api-v1.md, "Sweep").

As of one instant it opens supervisions for the four must-supervise triggers,
raises overdue cases up the escalation ladder, and urges the responsible unit
of every open supervision once per working day, in office hours only.

Run by ``qitong sweep``, every minute by ``qitong serve`` (embedded) or by
Celery beat (production). Its cost follows the cases that are due, not the
open ones: each step asks the database for just the cases that need it (the
triggers leave out cases already supervised; overdue and escalation come from
the indexed ``Appeal.escalation_due``; the urge from the cases under
supervision not urged today) and handles them ``BATCH`` at a time, one
transaction per batch with a few set-based statements. A sweep killed midway
leaves whole batches behind it and the rest for the next run.

Safe to run twice for one instant and on two workers at once: a batch that
opens supervisions or raises levels locks its cases first (``SKIP LOCKED`` on
PostgreSQL: the other worker takes other cases; SQLite runs one writer at a
time) and judges them again under the lock; an urge is claimed by the
conditional UPDATE … RETURNING of ``Appeal.last_urged_on`` (``_claim``).
"""

import math
import time
from collections import defaultdict, namedtuple
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qitong.appeals import actions, deadlines
from qitong.appeals.models import Appeal, Supervision
from qitong.core import clock
from qitong.core.clock import SHANGHAI
from qitong.core.workdays import WorkCalendar

S = Appeal.Status
T = Supervision.Trigger
# Cases per transaction: big enough that a day's 20,000 urges take a few dozen
# commits, small enough that a batch holds its rows (and SQLite's writer lock)
# for a fraction of a second.
BATCH = 500


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
    # run commits batch by batch, so web requests are never held up for long.
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
            summary["escalated"] = _overdue(summary, at, calendar)
            summary["urged"] = _urge(at, calendar)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary


def batches(ids):
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _open(summary, trigger, appeals, at, reason):
    """Open a supervision of ``trigger`` on each of ``appeals`` (a query) that has none open.

    The cases that have one are left out by the query itself, so from the
    second sweep on this reads nothing but the new cases.
    """
    supervised = Supervision.objects.filter(
        appeal=OuterRef("pk"), trigger=trigger, closed_at__isnull=True
    )
    pending = appeals.filter(~Exists(supervised)).order_by("pk").only("pk")
    for chunk in batches(list(pending)):
        opened = actions.open_supervisions(chunk, trigger, at=at, reason=reason)
        summary["opened"][trigger] += len(opened)


def major_cases():
    """Major cases once accepted (not while they wait to be accepted)."""
    return Appeal.objects.filter(major=True, status__in=Appeal.OPEN_STATES).exclude(
        status=S.SUBMITTED
    )


def repeated_cases(at):
    """Open appeals in a group: one enterprise filing one category often, or many enterprises.

    One query: a case is in a group when its enterprise filed its category at
    least ``QITONG_REPEATED_BY_ONE`` times in the window (a count over the
    (enterprise, category, created_at) index for each open case of the window),
    or when its category was filed by at least ``QITONG_REPEATED_BY_MANY``
    enterprises (the crowded categories, a subquery). No list of ids travels
    through Python, however many cases the groups hold.
    """
    by_one, by_many = settings.QITONG_REPEATED_BY_ONE, settings.QITONG_REPEATED_BY_MANY

    def window(days):
        return Appeal.objects.filter(
            category__isnull=False, created_at__gt=at - timedelta(days=days), created_at__lte=at
        )

    often = (
        window(by_one["days"])
        .filter(enterprise_id=OuterRef("enterprise_id"), category_id=OuterRef("category_id"))
        .order_by()
        .values("enterprise_id", "category_id")
        .annotate(n=Count("id"))
        .filter(n__gte=by_one["appeals"])
    )
    crowded = (
        window(by_many["days"])
        .order_by()
        .values("category_id")
        .annotate(n=Count("enterprise_id", distinct=True))
        .filter(n__gte=by_many["enterprises"])
        .values("category_id")
    )
    many_since = at - timedelta(days=by_many["days"])
    alike = near_duplicates(at)
    by_category = (
        window(max(by_one["days"], by_many["days"]))
        .filter(status__in=Appeal.OPEN_STATES)
        .filter(Exists(often) | Q(category_id__in=crowded, created_at__gt=many_since))
    )
    if not alike:
        return by_category
    return Appeal.objects.filter(Q(pk__in=by_category.values("pk")) | Q(pk__in=alike))


# The open cases repeated by their text (near duplicates, with or without a category):
# the dispatch app's function, named because that app sits above this one.
NEAR_DUPLICATES = "qitong.dispatch.duplicates.repeated_ids"


def near_duplicates(at):
    """The ids ``NEAR_DUPLICATES`` gives as of ``at``; none while the dispatch app is absent."""
    if not django_apps.is_installed("qitong.dispatch"):
        return []
    return import_string(NEAR_DUPLICATES)(at)


def under_supervision_q():
    """Open cases with an open supervision: the office's 督办中 queue, and whom the sweep urges.

    Drawn from the open supervisions (few, indexed), not a lookup per case;
    not a join either, which on a nullable relation also matches cases with none.
    """
    open_supervisions = Supervision.objects.filter(closed_at__isnull=True).values("appeal_id")
    return Q(pk__in=open_supervisions, status__in=Appeal.OPEN_STATES)


def near_deadline_cases(at, calendar):
    """Less than one working day before the resolve deadline."""
    return Appeal.objects.filter(deadlines.near_deadline_q(at, calendar))


def target_level(appeal, at, calendar, top):
    """Level 1 (the office) as soon as overdue, one more per full working day overdue."""
    since = deadlines.missed_since(appeal, at)
    if since is None or top == 0:
        return 0
    spent, _provisional = calendar.between(since, at)
    days = Decimal(spent.total_seconds()) / Decimal(calendar.day_length.total_seconds())
    return min(top, 1 + math.floor(days))


def next_look(appeal, at, calendar, top):
    """When the sweep must look at the case again, judged as of ``at``: ``escalation_due``.

    A case on time falls due just after its earliest unmet deadline; an overdue
    one rises to level ``n + 1`` once ``n`` full working days have passed since
    the deadline it missed (``target_level``); at the top, or off the clock,
    nothing is due until an action changes the case (``Appeal.save``).
    """
    since = appeal.earliest_unmet_due()
    if since is None:
        return None
    if since >= at:
        return since
    if appeal.escalation_level >= top:
        return None
    return calendar.add(since, appeal.escalation_level).at


def _overdue(summary, at, calendar):
    """Supervise the cases that fell overdue and raise those whose next level is due.

    Reads only the cases whose ``escalation_due`` has come; judges each under
    its lock, then stores when it is next due. Returns the levels climbed.

    A case another transaction holds (another sweep opening, judging or urging
    it; an action on it) is skipped, not waited for, so that this never waits
    in a circle with the other phases' locks. It is looked at again after a
    short pause, ``RETRIES`` times at most, while it is still due: the other
    sweep has usually judged it by then (no longer due), or let it go unjudged
    (an urge, an opening), which two sweeps at once could otherwise both do to
    every case and leave them all to the next minute's run.
    """
    top = actions.ladder_top()
    # Unordered in SQL, sorted here: an ORDER BY (the model's default, or id) leads
    # SQLite to walk the whole table in that order instead of the escalation_due index.
    due = Appeal.objects.filter(escalation_due__lte=at).order_by().values_list("pk", flat=True)
    due = sorted(due)
    raised = 0
    for attempt in range(RETRIES + 1):
        skipped = []
        for chunk in batches(due):
            got, climbed = _judge(summary, chunk, at, calendar, top)
            raised += climbed
            skipped.extend(sorted(set(chunk) - got))
        # Of those, the ones still due (a case an action moved meanwhile is not).
        due = sorted(
            pk
            for chunk in batches(skipped)
            for pk in Appeal.objects.filter(pk__in=chunk, escalation_due__lte=at)
            .order_by()
            .values_list("pk", flat=True)
        )
        if not due or attempt == RETRIES:
            break
        time.sleep(RETRY_PAUSE * 2**attempt)
    return raised


# Looks again at the due cases another transaction held (``_overdue``): after
# 0.05, 0.1, 0.2, 0.4 and 0.8 s, longer than a batch of another sweep holds them.
RETRIES = 5
RETRY_PAUSE = 0.05


def _judge(summary, ids, at, calendar, top):
    """Judge the due cases of ``ids`` not held elsewhere; returns (the ids judged, levels climbed)."""
    with transaction.atomic():
        appeals = list(
            Appeal.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("category")
            .filter(pk__in=ids, escalation_due__lte=at)
            .order_by("pk")
        )
        overdue = [appeal for appeal in appeals if deadlines.is_overdue(appeal, at)]
        opened = actions.open_supervisions(
            overdue, T.OVERDUE, at=at, reason=_("已超过办理期限，必须督办。")
        )
        summary["opened"][T.OVERDUE] += len(opened)
        rises = [(appeal, target_level(appeal, at, calendar, top)) for appeal in overdue]
        rises = [(appeal, level) for appeal, level in rises if level > appeal.escalation_level]
        climbed = sum(level - appeal.escalation_level for appeal, level in rises)
        actions.raise_levels(rises, at=at, reason=_("超期未办结，自动升级。"))
        _store_escalation_due(
            (appeal.pk, next_look(appeal, at, calendar, top)) for appeal in appeals
        )
    return {appeal.pk for appeal in appeals}, climbed


def _store_escalation_due(pairs):
    """Write ``(pk, escalation_due)`` pairs: one prepared UPDATE run for each, no CASE.

    Django's ``bulk_update`` builds a CASE of every row in Python, which costs
    more than the writes themselves at a few hundred rows.
    """
    field = Appeal._meta.get_field("escalation_due")
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Appeal._meta.db_table)} SET {quote(field.column)} = %s "
        f"WHERE {quote(Appeal._meta.pk.column)} = %s"
    )
    params = [(field.get_db_prep_save(due, connection), pk) for pk, due in pairs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# What an urge reads of a case (``actions.urge_responsible``): a row, not a model.
Case = namedtuple("Case", "pk number title status lead_unit_id office_id")


def _urge(at, calendar):
    """Urge the responsible unit of each supervised case once per working day, in office hours."""
    if not calendar.in_office_hours(at):
        return 0
    today = at.astimezone(SHANGHAI).date()
    not_urged_today = Q(last_urged_on__isnull=True) | Q(last_urged_on__lt=today)
    supervised = Appeal.objects.filter(not_urged_today, under_supervision_q())
    urged, wording = 0, {}
    for chunk in batches(list(supervised.order_by("pk").values_list("pk", flat=True))):
        with transaction.atomic():
            appeals = _claim(chunk, today)
            triggers = defaultdict(set)
            open_ones = Supervision.objects.filter(
                appeal_id__in=[appeal.pk for appeal in appeals], closed_at__isnull=True
            )
            for appeal_id, trigger in open_ones.values_list("appeal_id", "trigger"):
                triggers[appeal_id].add(trigger)
            # A supervision closed since the claim (an action in between): nothing to urge.
            appeals = [appeal for appeal in appeals if triggers[appeal.pk]]
            urges = []
            for appeal in appeals:
                names = tuple(sorted(triggers[appeal.pk]))
                if names not in wording:  # a handful of trigger sets: translated once each
                    labels = "、".join(str(T(name).label) for name in names)
                    wording[names] = (
                        _("%(triggers)s：请抓紧办理。") % {"triggers": labels},
                        labels,
                    )
                note, labels = wording[names]
                urges.append((appeal, note, labels, {"triggers": list(names)}))
            actions.urge_responsible(urges, at=at)
            urged += len(appeals)
    return urged


def _claim(ids, today):
    """Claim today's urge of the cases ``ids`` still due one; returns their ``Case`` rows.

    The claim is one conditional UPDATE … RETURNING (PostgreSQL; SQLite since
    3.35): it marks ``last_urged_on`` only where the case is open, under an open
    supervision and not urged today, and says which rows it marked. Of two
    workers at once the second waits on the first's row locks, then finds those
    rows urged and leaves them; both take the rows in id order, so neither waits
    on the other in a circle. One statement instead of a locking SELECT and an
    UPDATE: on PostgreSQL the day's 20,000 claims cost half as much.
    """
    meta, quote = Appeal._meta, connection.ops.quote_name
    table, urged_on = quote(meta.db_table), quote(meta.get_field("last_urged_on").column)
    supervision = quote(Supervision._meta.db_table)
    of_appeal, closed = (
        quote(Supervision._meta.get_field(name).column) for name in ("appeal", "closed_at")
    )
    column = {
        name: f"{table}.{quote((meta.pk if name == 'pk' else meta.get_field(name)).column)}"
        for name in Case._fields
    }
    day = connection.ops.adapt_datefield_value(today)
    sql = (
        f"UPDATE {table} SET {urged_on} = %s "
        f"WHERE {column['pk']} IN ({', '.join(['%s'] * len(ids))}) "
        f"AND ({table}.{urged_on} IS NULL OR {table}.{urged_on} < %s) "
        f"AND {column['status']} IN ({', '.join(['%s'] * len(Appeal.OPEN_STATES))}) "
        f"AND EXISTS (SELECT 1 FROM {supervision} s WHERE s.{of_appeal} = {column['pk']} "
        f"AND s.{closed} IS NULL) "
        f"RETURNING {', '.join(column[name] for name in Case._fields)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, *ids, day, *Appeal.OPEN_STATES])
        return sorted((Case(*row) for row in cursor.fetchall()), key=lambda case: case.pk)
