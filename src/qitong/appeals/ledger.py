"""The ledger (台帐): every visible appeal as one spreadsheet row.

Officials keep it for their records and for the reviews of the service
office. A unit's whole history is tens of thousands of rows, so they are read
as plain tuples (no model instances), their co-units in one query per chunk,
and written through ``qitong.core.exports``, which holds one row at a time and
never lets an enterprise's text become a formula. A ledger of more than
``exports.job_threshold()`` rows is made by a background job (``export_job``),
whose page shows its progress and whose creator is told in the inbox when it
is ready.
"""

import datetime as dt
from itertools import islice

from django.core.exceptions import PermissionDenied
from django.db.models import FloatField, Func
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from qitong.appeals import deadlines, filters
from qitong.appeals.access import unit_cases, visible_appeals
from qitong.appeals.models import Appeal, Assignment
from qitong.core import exports, jobs
from qitong.core.clock import local
from qitong.core.models import Job
from qitong.notify import outbox
from qitong.orgs import scope
from qitong.orgs.models import Unit

CONTENT_TYPE = exports.CONTENT_TYPE
CHUNK = 2000
# The columns read per appeal; ``_cells`` turns them into the row of ``headers``.
# The instants among them, read as POSIX seconds (``Seconds``), not as datetimes.
TIMES = (
    "created_at",
    "dispatched_at",
    "contact_due",
    "contacted_at",
    "reply_due",
    "replied_at",
    "resolve_due",
    "resolved_at",
)
FIELDS = (
    "id",
    "number",
    "enterprise__name",
    "enterprise__uscc",
    "title",
    "channel",
    "category__name",
    "status",
    "handling_mode",
    "lead_unit__name",
    *(f"{name}_seconds" for name in TIMES),
    "provisional",
    "escalation_level",
    "rating_process",
    "rating_result",
)
# Where ``_cells`` puts the instants in a row of ``headers``.
INSTANT_COLUMNS = (10, 11, 12, 13, 15, 16, 18, 19)
WIDTHS = [16, 28, 20, 36, 8, 14, 10, 10, 22, 22] + [16] * 11 + [8, 8, 10, 10]


def allowed(user):
    """The officials' record: the service offices, units, leaders and admins, each within their scope."""
    return scope.is_officer(user)


def headers():
    return [
        _("编号"),
        _("企业名称"),
        _("统一社会信用代码"),
        _("标题"),
        _("渠道"),
        _("分类"),
        _("状态"),
        _("办理方式"),
        _("牵头单位"),
        _("协办单位"),
        _("提交时间"),
        _("派单时间"),
        _("联系期限"),
        _("联系时间"),
        _("按时联系"),
        _("答复期限"),
        _("答复时间"),
        _("按时答复"),
        _("办结期限"),
        _("办结时间"),
        _("按时办结"),
        _("期限暂定"),
        _("升级级别"),
        _("过程评价"),
        _("结果评价"),
    ]


class Words:
    """The ledger's words in the active language, translated once per export, not per cell."""

    def __init__(self):
        self.yes_no = {None: "", True: _("是"), False: _("否")}  # None: a deadline not yet due
        self.choices = {
            name: {value: str(label) for value, label in Appeal._meta.get_field(name).choices}
            for name in ("channel", "status", "handling_mode", "rating_process", "rating_result")
        }


def rows(appeals, at, *, keys_first=False):
    """The rows of ``appeals`` (a queryset) as of ``at``, in its order, read in chunks.

    The rows are plain tuples, and the instants in them POSIX seconds
    (``Seconds``): building a datetime per value cost more than everything
    else of a row together (a unit's ledger holds 400,000 instants). The
    sheet writes them as local dates (``sheet`` names their columns).
    ``keys_first``: see ``_chunks``.
    """
    words = Words()
    unit_names = dict(Unit.objects.values_list("pk", "name"))
    at = at.timestamp()  # compared with the instants as they are read: seconds
    for chunk in _chunks(appeals, keys_first):
        co_units = _co_units([record[0] for record in chunk], unit_names)
        for record in chunk:
            yield _cells(record, co_units.get(record[0], ""), at, words)


def _records(appeals):
    return appeals.annotate(**{f"{name}_seconds": Seconds(name) for name in TIMES}).values_list(
        *FIELDS
    )


def _chunks(appeals, keys_first):
    """The records of ``appeals`` in its order, ``CHUNK`` at a time.

    One read open until the last chunk, or, ``keys_first``, the keys read at
    once and then each chunk by its own query by key (the selection was made
    with the keys): for a caller that writes while the rows are read (the
    export job's progress), since on SQLite a write on a connection whose
    chunked read is still open fails at once when another one has committed
    meanwhile (docs/architecture.md). A case gone between the two reads is
    left out.
    """
    if not keys_first:
        records = _records(appeals).iterator(chunk_size=CHUNK)
        while chunk := list(islice(records, CHUNK)):
            yield chunk
        return
    keys = list(appeals.values_list("pk", flat=True))
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        found = {record[0]: record for record in _records(Appeal.objects.filter(pk__in=part))}
        yield [found[key] for key in part if key in found]


class Seconds(Func):
    """An instant as POSIX seconds (a float), which the database computes.

    Both drivers build a datetime per value through Python code (SQLite's
    converter, Django's time-zone loader for psycopg): 400,000 of them took
    a second on SQLite and three on PostgreSQL. A float costs nothing.
    """

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        # julianday's double holds some 40 µs: rounded to the millisecond.
        template = "round((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "date_part('epoch', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _co_units(appeal_ids, unit_names):
    """``{appeal id: "unit、unit"}`` of the active co-units of ``appeal_ids``, in one query."""
    parts = (
        Assignment.objects.filter(appeal_id__in=appeal_ids, role=Assignment.Role.CO, active=True)
        .order_by("assigned_at", "id")
        .values_list("appeal_id", "unit_id")
    )
    names = {}
    for appeal_id, unit_id in parts:
        names.setdefault(appeal_id, []).append(unit_names[unit_id])
    return {appeal_id: _("、").join(units) for appeal_id, units in names.items()}


def _cells(record, co_units, at, words):
    """One appeal's cells, in the order of ``headers``; instants as POSIX seconds, like ``at``."""
    (
        _id,
        number,
        enterprise,
        uscc,
        title,
        channel,
        category,
        status,
        mode,
        lead_unit,
        created_at,
        dispatched_at,
        contact_due,
        contacted_at,
        reply_due,
        replied_at,
        resolve_due,
        resolved_at,
        provisional,
        escalation_level,
        rating_process,
        rating_result,
    ) = record
    yes_no, choices, on_time = words.yes_no, words.choices, deadlines.on_time
    return [
        number,
        enterprise,
        uscc,
        title,
        choices["channel"].get(channel, channel),
        category or "",
        choices["status"].get(status, status),
        choices["handling_mode"].get(mode, mode),
        lead_unit or "",
        co_units,
        created_at,
        dispatched_at,
        contact_due,
        contacted_at,
        yes_no[on_time(contact_due, contacted_at, at)],
        reply_due,
        replied_at,
        yes_no[on_time(reply_due, replied_at, at)],
        resolve_due,
        resolved_at,
        yes_no[on_time(resolve_due, resolved_at, at)],
        yes_no[bool(provisional)] if dispatched_at else "",
        escalation_level,
        choices["rating_process"].get(rating_process, rating_process),
        choices["rating_result"].get(rating_result, rating_result),
    ]


def sheet(appeals, *, at, progress=None):
    """What ``exports.write_sheet`` needs for the ledger of ``appeals`` as of ``at``."""
    return {
        "title": _("诉求台帐"),
        "headers": headers(),
        # A sheet that reports its progress writes (the job's row) while it reads.
        "rows": rows(appeals, at, keys_first=progress is not None),
        "widths": WIDTHS,
        "progress": progress,
        "instants": INSTANT_COLUMNS,
    }


def build(appeals, *, at):
    """The ledger as a rewound temporary file; whoever sends it closes it."""
    stream, _count = exports.export_to_tempfile(**sheet(appeals, at=at))
    return stream


def filename(at):
    return _("诉求台帐-%(date)s.xlsx") % {"date": f"{local(at):%Y%m%d}"}


def matching(user, params, at):
    """``user``'s visible appeals narrowed by the list's query ``params``; 400 if bad.

    ``params`` is a ``QueryDict`` or a query string (as a job keeps it). The
    API's list and the ledger, in the request or as a job, select through
    here: a unit's cases come by its own parts (``access.unit_cases``), which
    both databases read from indexes where ``visible_appeals``' OR reads them all.
    """
    if isinstance(params, str):
        params = QueryDict(params)
    form = filters.AppealFilter(params, user=user, at=at)
    if not form.is_valid():
        raise ValidationError(form.error_dict())
    cases = unit_cases(user)
    return form.apply(visible_appeals(user) if cases is None else cases)


def needs_job(appeals):
    """Whether ``appeals`` hold more rows than a request should write, counting no further."""
    limit = exports.job_threshold()
    return appeals.order_by()[: limit + 1].count() > limit


def start_export(user, query, *, at):
    """The background job making ``user``'s ledger for the list's ``query`` (a query string).

    Asking again for the same ledger while its job is still queued or running
    gives that job, not a second one.
    """
    unfinished = Job.objects.filter(
        kind=EXPORT_JOB,
        created_by=user,
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        params__query=query,
    ).first()
    if unfinished is not None:
        return unfinished
    return jobs.start(
        EXPORT_JOB,
        params={"query": query, "at": at.isoformat(), "language": translation.get_language()},
        created_by=user,
    )


@jobs.job_kind(gettext_lazy("导出诉求台帐"))
def export_job(job, progress):
    """The ledger as a background job: the same rows as the direct download, then the inbox."""
    user = job.created_by
    if user is None or not user.is_active or not allowed(user):
        raise PermissionDenied(_("无权导出台帐。"))
    at = dt.datetime.fromisoformat(job.params["at"])
    with translation.override(job.params.get("language")):
        appeals = matching(user, job.params.get("query", ""), at)
        total = appeals.count()
        progress(0, total)
        stream, count = exports.export_to_tempfile(
            **sheet(appeals, at=at, progress=lambda done: progress(done, total))
        )
        return jobs.Outcome(
            file=stream,
            name=filename(at),
            content_type=CONTENT_TYPE,
            on_done=_tell_creator,
        )


def _tell_creator(job):
    with translation.override(job.params.get("language")):
        outbox.enqueue(
            [job.created_by],
            kind="export_ready",
            subject=_("诉求台帐已导出"),
            body=_("您导出的诉求台帐（%(count)s 行）已生成，请在任务页下载。")
            % {"count": job.total},
            url=jobs.job_page_url(job),
            email=False,
        )


EXPORT_JOB = f"{__name__}.export_job"
