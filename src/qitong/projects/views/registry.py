"""The registry's pages: the list, a project's page, registering and editing a project,
closing it, filing its problems as appeals, and its photos.

Thin: parse the form with the API's serializer, reach the project through
``access``, call ``actions``, render. A refused action is shown with its
reason: a form again with its fields' errors (400), or a flash message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qitong.core import clock, feedback
from qitong.core.errors import Conflict
from qitong.core.feedback import REFUSED
from qitong.core.pages import paginate
from qitong.orgs import scope
from qitong.orgs.models import Unit, User
from qitong.projects import access, actions, filters, months, plan, ranking, registry
from qitong.projects.models import Photo, Problem, Project, Rules, Warning
from qitong.projects.serializers import FinishBody, ProjectBody

# A page form's empty plan rows, beyond the milestones a project has.
SPARE_MILESTONES = 3
FIELD_LABELS = {
    "name": gettext_lazy("项目名称"),
    "enterprise": gettext_lazy("项目单位"),
    "planned_investment": gettext_lazy("计划总投资"),
    "district": gettext_lazy("所在区县"),
    "leader": gettext_lazy("责任领导"),
    "unit": gettext_lazy("责任单位"),
    "team": gettext_lazy("工作专班"),
    "start_month": gettext_lazy("计划开始月份"),
    "milestones": gettext_lazy("计划节点"),
    "public": gettext_lazy("公开"),
    "state": gettext_lazy("结束方式"),
    "note": gettext_lazy("说明"),
}


def officer(request):
    """The registry is for government staff."""
    if not scope.is_officer(request.user):
        raise PermissionDenied
    return request.user


def refusal(exc):
    """A refused action in one line, its fields named by the project form's labels."""
    return feedback.refusal(exc, FIELD_LABELS, forbidden=_("您无权对该项目执行此操作。"))


@login_required
def registry_page(request):
    """重点项目: the projects the user may see, filtered, with their progress."""
    user = officer(request)
    form = filters.ProjectFilter(request.GET or None)
    last = ranking.last_closed()
    projects = registry.annotated(form.apply(access.visible_projects(user)), last=last)
    projects = projects.order_by("district__code", "name", "pk")
    context = paginate(request, projects)
    context["page"].object_list = registry.with_percent(context["page"].object_list)
    context.update(
        title=_("重点项目"),
        form=form,
        query=form.query(),
        can_register=access.keeps_registry(user),
        last_month=last,
    )
    return render(request, "projects/registry.html", context)


def _project_with_progress(project):
    (shown,) = registry.with_percent(registry.annotated(Project.objects.filter(pk=project.pk)))
    return shown


@login_required
def project_page(request, pk):
    """A project: its facts, plan, monthly reports with photos and problems, standings,
    the warnings of its district and unit, and the actions the user may take."""
    user = officer(request)
    project = _project_with_progress(access.access_project_for_user(user, pk))
    available = actions.available_actions(user, project)
    at = clock.now()
    month = months.of(at)
    reports = project.reports.select_related("reported_by").prefetch_related(
        "photos",
        "milestones_reached",
        Prefetch("problems", Problem.objects.select_related("appeal")),
    )
    context = {
        "title": project.name,
        "breadcrumbs": [(_("重点项目"), reverse("projects-registry"))],
        "project": project,
        "team": project.team.all(),
        "milestones": project.milestones.all(),
        "reports": reports,
        "standings": project.standings.order_by("-month"),
        "warnings": Warning.objects.filter(
            Q(unit_id=project.district_id, kind="district")
            | Q(unit_id=project.unit_id, kind="unit")
        ).select_related("unit")[:12],
        "events": project.events.select_related("actor"),
        "now": plan.evaluate_live(project, month, Rules.load()) if project.is_active else None,
        "month": month,
        "can_edit": "edit" in available,
        "can_report": "report" in available,
        "can_finish": "finish" in available,
        "can_file": "file_problem" in available,
        "finish_states": [
            (value, label)
            for value, label in Project.State.choices
            if value != Project.State.ACTIVE
        ],
    }
    return render(request, "projects/project.html", context)


def _choices():
    """What the registry form picks from: districts, leaders, units, government staff."""
    return {
        "districts": Unit.objects.filter(kind=Unit.Kind.DISTRICT, is_active=True),
        "leaders": User.objects.filter(role=User.Role.LEADER, is_active=True).order_by("username"),
        "units": scope.handling_units().filter(is_active=True),
        "staff": User.objects.filter(
            is_active=True, role__in=actions.TEAM_ROLES, unit__isnull=False
        )
        .select_related("unit")
        .order_by("unit__code", "username"),
    }


def _form_values(project=None, data=None):
    """The registry form's values: posted, or the project's, or empty; with the plan's rows."""
    if data is not None:
        rows, number = [], 0
        while f"milestones[{number}]name" in data:
            rows.append(
                {
                    key: data.get(f"milestones[{number}]{key}", "")
                    for key in ("name", "month", "investment")
                }
            )
            number += 1
        return {
            "name": data.get("name", ""),
            "enterprise": data.get("enterprise", ""),
            "planned_investment": data.get("planned_investment", ""),
            "district": data.get("district", ""),
            "leader": data.get("leader", ""),
            "unit": data.get("unit", ""),
            "team": data.getlist("team"),
            "start_month": data.get("start_month", ""),
            "public": bool(data.get("public")),
            "milestones": rows,
        }
    if project is None:
        return {"public": True, "team": [], "milestones": [{}] * SPARE_MILESTONES}
    rows = [
        {"name": m.name, "month": m.month, "investment": m.investment}
        for m in project.milestones.all()
    ]
    return {
        "name": project.name,
        "enterprise": project.enterprise.uscc,
        "planned_investment": project.planned_investment,
        "district": project.district.code,
        "leader": project.leader.username,
        "unit": project.unit.code,
        "team": list(project.team.values_list("username", flat=True)),
        "start_month": project.start_month,
        "public": project.public,
        "milestones": rows + [{}] * SPARE_MILESTONES,
    }


def _errors(exc):
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return exc.message_dict
    if isinstance(exc, dict):  # a serializer's errors
        return {field: [str(m) for m in found] for field, found in exc.items()}
    return {"": [refusal(exc)]}


def _project_form(request, *, project=None, run):
    """Show the registry form, or post it to ``run(**fields)``; returns the response."""
    values, errors, status = _form_values(project), {}, 200
    if request.method == "POST":
        body = ProjectBody(data=request.POST)
        values = _form_values(data=request.POST)
        if not body.is_valid():
            errors, status = _errors(body.errors), 400
        else:
            try:
                saved = run(**body.validated_data)
            except (ValidationError, Conflict) as exc:
                errors, status = _errors(exc), 400 if isinstance(exc, ValidationError) else 409
            else:
                messages.success(request, _("项目已保存。"))
                return redirect("project-detail", pk=saved.pk)
    context = {
        "title": _("修改项目") if project else _("登记重点项目"),
        "breadcrumbs": [(_("重点项目"), reverse("projects-registry"))]
        + ([(project.name, reverse("project-detail", args=[project.pk]))] if project else []),
        "project": project,
        "values": values,
        "errors": errors,
        "general_errors": errors.get("") or errors.get("non_field_errors"),
        **_choices(),
    }
    return render(request, "projects/project_form.html", context, status=status)


@login_required
def register(request):
    user = officer(request)
    if not access.keeps_registry(user):
        raise PermissionDenied
    return _project_form(
        request, run=lambda **fields: actions.register_project(acting_user=user, **fields)
    )


@login_required
def edit(request, pk):
    user = officer(request)
    project = access.access_project_for_user(user, pk)
    if "edit" not in actions.available_actions(user, project):
        raise PermissionDenied
    return _project_form(
        request,
        project=project,
        run=lambda **fields: actions.edit_project(project, acting_user=user, **fields),
    )


def _attempt(request, run, success):
    try:
        run()
    except REFUSED as exc:
        messages.error(request, refusal(exc))
        return False
    messages.success(request, success)
    return True


@login_required
@require_POST
def finish(request, pk):
    user = officer(request)
    project = access.access_project_for_user(user, pk)
    body = FinishBody(data=request.POST)
    if not body.is_valid():
        messages.error(request, refusal(ValidationError(body.errors)))
    else:
        _attempt(
            request,
            lambda: actions.finish_project(project, acting_user=user, **body.validated_data),
            _("项目已结束。"),
        )
    return redirect("project-detail", pk=project.pk)


@login_required
@require_POST
def file_problem(request, pk, problem_id):
    user = officer(request)
    project = access.access_project_for_user(user, pk)
    problem = get_object_or_404(project.problems, pk=problem_id)
    _attempt(
        request,
        lambda: actions.file_problem(problem, acting_user=user),
        _("问题已转为诉求。"),
    )
    return redirect(f"{reverse('project-detail', args=[project.pk])}#problem-{problem.pk}")


@login_required
def photo(request, pk, photo_id):
    """A report's photo, shown in the page, for whoever may see the project."""
    project = access.access_project_for_user(officer(request), pk)
    try:
        found = Photo.objects.get(pk=photo_id, progress__project=project)
    except Photo.DoesNotExist:
        raise Http404 from None
    return FileResponse(found.file.open("rb"), filename=found.name, content_type=found.content_type)
