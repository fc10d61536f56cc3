"""Project progress, the measure the units' assessment reads by name for its item 项目推进.

Each closed month judges every counted project against its plan (``Standing``):
ahead, normal, lagging or no progress. A responsible unit's progress over a
period is the project-months of its projects judged ahead or normal, of all
its project-months judged in the period's closed months. A month not closed
yet (its reports still due) is not counted: a unit is not marked down for a
month still open.
"""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from qitong.projects.models import Standing

ON_PLAN = (Standing.Status.AHEAD, Standing.Status.NORMAL)


def progress(period, units):
    """``{unit code: (on plan, judged, url)}`` of the units among ``units`` responsible for
    projects judged in ``period``'s months; the url lists the unit's projects."""
    codes = {unit.pk: unit.code for unit in units}
    rows = (
        Standing.objects.filter(month__in=period.month_keys(), project__unit_id__in=list(codes))
        .order_by()
        .values("project__unit_id")
        .annotate(judged=Count("pk"), on_plan=Count("pk", filter=Q(status__in=ON_PLAN)))
    )
    base = reverse("projects-registry")
    return {
        codes[row["project__unit_id"]]: (
            row["on_plan"],
            row["judged"],
            f"{base}?{urlencode({'unit': codes[row['project__unit_id']]})}",
        )
        for row in rows
    }
