"""The registry's read side: each project with its progress, for the lists, the board and
the Excel export.

``annotated`` adds to a queryset of projects, in the database, what every
list shows: the cumulative investment reported (``done_total``), its share
of the planned total (``progress_percent``, computed per row in Python from
the two) and the status of the latest ranked month (``last_status``,
``last_month``). The export writes the same through ``core.exports``.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import CharField, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from qitong.core import exports
from qitong.core.clock import local
from qitong.projects import ranking
from qitong.projects.models import Problem, Progress, Project, Standing

CONTENT_TYPE = exports.CONTENT_TYPE
MONEY = DecimalField(max_digits=14, decimal_places=2)


def annotated(projects, *, last=None):
    """``projects`` with ``done_total``, ``last_status`` and ``last_month`` (see the module).

    ``last``: the latest ranked month, when the caller has read it already.
    """
    last = last or ranking.last_closed()
    done = (
        Progress.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("investment"))
        .values("total")
    )
    status = Standing.objects.filter(project=OuterRef("pk"), month=last).values("status")[:1]
    return projects.annotate(
        done_total=Coalesce(
            Subquery(done, output_field=MONEY), Value(Decimal(0)), output_field=MONEY
        ),
        last_status=Subquery(status, output_field=CharField())
        if last
        else Value(None, output_field=CharField()),
        last_month=Value(last, output_field=CharField()),
    ).select_related("enterprise", "district", "unit", "leader")


def percent(done, planned):
    """``done`` as a percentage of ``planned``, to one decimal."""
    if not planned:
        return Decimal(0)
    return (Decimal(done) * 100 / planned).quantize(Decimal("0.1"), ROUND_HALF_UP)


def with_percent(projects):
    """The annotated projects as a list, each with ``progress_percent``."""
    rows = list(projects)
    for project in rows:
        # SQLite's sum comes without the column's two decimals.
        project.done_total = Decimal(project.done_total).quantize(Decimal("0.01"))
        project.progress_percent = percent(project.done_total, project.planned_investment)
    return rows


def headers():
    return [
        _("项目名称"),
        _("项目单位"),
        _("统一社会信用代码"),
        _("所在区县"),
        _("责任单位"),
        _("责任领导"),
        _("计划总投资（万元）"),
        _("计划开始月份"),
        _("状态"),
        _("累计完成投资（万元）"),
        _("总投资完成（%）"),
        _("最近排名月份"),
        _("推进情况"),
        _("最近填报月份"),
        _("最近形象进度"),
        _("提出问题"),
        _("待转诉求"),
    ]


WIDTHS = [30, 30, 22, 12, 24, 12, 14, 10, 8, 14, 10, 10, 8, 10, 40, 8, 8]


def rows(projects):
    """One row per annotated project, with its latest report and its problems counted."""
    projects = with_percent(projects)
    ids = [project.pk for project in projects]
    latest = {}
    for project_id, month, text in (
        Progress.objects.filter(project_id__in=ids)
        .order_by("project_id", "month")
        .values_list("project_id", "month", "text")
    ):
        latest[project_id] = (month, text)
    raised, pending = {}, {}
    for project_id, appeal_id in Problem.objects.filter(project_id__in=ids).values_list(
        "project_id", "appeal_id"
    ):
        raised[project_id] = raised.get(project_id, 0) + 1
        if appeal_id is None:
            pending[project_id] = pending.get(project_id, 0) + 1
    states = dict(Project.State.choices)
    statuses = dict(Standing.Status.choices)
    for project in projects:
        month, text = latest.get(project.pk, ("", ""))
        yield [
            project.name,
            project.enterprise.name,
            project.enterprise.uscc,
            project.district.name,
            project.unit.name,
            project.leader.get_full_name() or project.leader.username,
            project.planned_investment,
            project.start_month,
            str(states[project.state]),
            project.done_total,
            project.progress_percent,
            project.last_month or "",
            str(statuses.get(project.last_status, "")),
            month,
            text,
            raised.get(project.pk, 0),
            pending.get(project.pk, 0),
        ]


def build(projects):
    """The registry as a rewound temporary file; whoever sends it closes it."""
    stream, _count = exports.export_to_tempfile(
        title=_("重点项目台帐"), headers=headers(), rows=rows(projects), widths=WIDTHS
    )
    return stream


def filename(at):
    return _("重点项目台帐-%(date)s.xlsx") % {"date": f"{local(at):%Y%m%d}"}
