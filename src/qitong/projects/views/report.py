"""The responsible unit's monthly report: the form, posted to ``actions.report_progress``
through the API's own serializer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from qitong.appeals import uploads
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.projects import access, actions, months
from qitong.projects.serializers import ProgressBody
from qitong.projects.views.registry import officer

# How many problem fields the form offers.
PROBLEM_FIELDS = 3


def _body(request):
    """The posted form with its photos, as the serializer reads a multipart body."""
    data = request.POST.copy()
    data.setlist("photos", request.FILES.getlist("photos"))
    return ProgressBody(data=data)


@login_required
def report(request, pk):
    user = officer(request)
    project = access.access_project_for_user(user, pk)
    if "report" not in actions.available_actions(user, project):
        raise PermissionDenied
    errors, status = {}, 200
    values = {"month": months.of(clock.now()), "problems": [""] * PROBLEM_FIELDS}
    if request.method == "POST":
        problems = request.POST.getlist("problems")
        values = {
            "month": request.POST.get("month", ""),
            "investment": request.POST.get("investment", ""),
            "text": request.POST.get("text", ""),
            "problems": problems + [""] * (PROBLEM_FIELDS - len(problems)),
            "milestones": [int(v) for v in request.POST.getlist("milestones") if v.isdigit()],
        }
        body = _body(request)
        if not body.is_valid():
            errors, status = {k: [str(m) for m in v] for k, v in body.errors.items()}, 400
        else:
            try:
                _report, created = actions.report_progress(
                    project, acting_user=user, **body.validated_data
                )
            except ValidationError as exc:
                errors, status = exc.message_dict, 400
            except Conflict as exc:
                errors, status = {"": [exc.message]}, 409
            else:
                messages.success(
                    request, _("进展已填报。") if created else _("该月进展此前已填报，未重复提交。")
                )
                return redirect("project-detail", pk=project.pk)
    context = {
        "title": _("填报月度进展"),
        "breadcrumbs": [
            (_("重点项目"), reverse("projects-registry")),
            (project.name, reverse("project-detail", args=[project.pk])),
        ],
        "project": project,
        "values": values,
        "errors": errors,
        "general_errors": errors.get(""),
        "open_milestones": project.milestones.filter(reached_month=""),
        "most_photos": uploads.MOST_PHOTOS,
    }
    return render(request, "projects/report.html", context, status=status)
