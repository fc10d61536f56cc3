"""The public progress board, and the month's rankings and warnings for government staff."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from qitong.projects import access, months, ranking, registry
from qitong.projects.models import MonthClose, Standing


def board(request):
    """进度牌: every public project by its public fields only; no login needed.

    The rows are built here from those fields alone (name, district, status of
    the latest ranked month, share of the planned investment done), so the
    template has nothing private to show.
    """
    statuses = dict(Standing.Status.choices)
    projects = registry.with_percent(
        registry.annotated(access.board_projects()).order_by("district__code", "name", "pk")
    )
    rows = [
        {
            "name": project.name,
            "district": project.district.name,
            "status": project.last_status,
            "status_label": statuses.get(project.last_status, ""),
            "state": project.get_state_display() if not project.is_active else "",
            "progress": project.progress_percent,
        }
        for project in projects
    ]
    last = ranking.last_closed()
    context = {
        "title": _("重点项目进度牌"),
        "rows": rows,
        "month": months.words(last) if last else "",
    }
    return render(request, "projects/board.html", context)


@login_required
def rankings(request):
    """A ranked month: districts and responsible units in order, and the warnings issued."""
    if not access.reads_rankings(request.user):
        raise PermissionDenied
    closed = list(MonthClose.objects.values_list("month", flat=True)[:36])
    month = request.GET.get("month") or (closed[0] if closed else None)
    status = 200
    if month and month not in closed:
        month, status = (closed[0] if closed else None), 400
    table = ranking.table(month) if month else None
    context = {
        "title": _("重点项目排名与预警"),
        "months": [(value, months.words(value)) for value in closed],
        "month": month,
        "month_words": months.words(month) if month else "",
        "table": table,
        "sections": [(_("区县排名"), table["district"]), (_("责任单位排名"), table["unit"])]
        if table
        else [],
    }
    return render(request, "projects/rankings.html", context, status=status)
