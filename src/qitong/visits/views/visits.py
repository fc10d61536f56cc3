"""Visits' pages: the list (with the difficulties waiting to be filed), recording a visit
with the survey form, a visit's page, filing a difficulty, planning and cancelling,
the photos and the visit ledger.

Thin: parse the form, reach the object through ``access``, call ``actions``, render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.appeals import uploads
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.core.exports import CONTENT_TYPE
from qitong.core.feedback import REFUSED, refusal
from qitong.core.pages import paginate
from qitong.orgs import scope
from qitong.visits import access, actions, ledger
from qitong.visits.forms import PlanForm, VisitForm
from qitong.visits.models import Difficulty, Photo, Question, Visit


def officer(request):
    if not scope.is_officer(request.user):
        raise PermissionDenied
    return request.user


def _visits(request, user):
    visits = access.visible_visits(user)
    batch = request.GET.get("batch")
    if batch and batch.isdigit():
        visits = visits.filter(batch_id=int(batch))
    enterprise = request.GET.get("enterprise")
    if enterprise and enterprise.isdigit():
        visits = visits.filter(enterprise_id=int(enterprise))
    return visits


@login_required
def visit_list(request):
    """走访记录: the visits the user may see, newest first; an office's pending difficulties."""
    user = officer(request)
    visits = (
        _visits(request, user)
        .exclude(state=Visit.State.CANCELLED)
        .select_related("enterprise", "visitor", "unit", "batch")
        .order_by("-visited_at", "-planned_on", "-pk")
    )
    context = paginate(request, visits)
    context.update(
        title=_("走访记录"),
        pending=access.pending_difficulties(user).select_related("enterprise", "visit")[:50],
        query=request.GET.urlencode(),
    )
    return render(request, "visits/visit_list.html", context)


@login_required
def visit_ledger(request):
    """The visit ledger (.xlsx) of the visits the user may see (batch, enterprise filters)."""
    user = officer(request)
    questions = list(Question.objects.filter(is_active=True))
    stream = ledger.visit_ledger(_visits(request, user), questions)
    return FileResponse(
        stream,
        as_attachment=True,
        filename=ledger.filename("visits", clock.now()),
        content_type=CONTENT_TYPE,
    )


def _record_context(enterprise, form, visit=None, errors=None):
    return {
        "title": _("记录走访：%(name)s") % {"name": enterprise.name},
        "enterprise": enterprise,
        "form": form,
        "visit": visit,
        "errors": errors or {},
        "most_photos": uploads.MOST_PHOTOS,
    }


def _batches_of(enterprise):
    return enterprise.visit_batches.all()


@login_required
def record(request, enterprise_id):
    """记录走访: the survey form for an enterprise (or a planned visit of it: ``?visit=``)."""
    user = officer(request)
    enterprise = access.access_enterprise_for_user(user, enterprise_id)
    if not access.may_visit(user, enterprise):
        raise PermissionDenied
    visit = None
    if request.GET.get("visit"):
        visit = access.access_visit_for_user(user, request.GET["visit"])
        if visit.enterprise_id != enterprise.pk:
            raise Http404
    batches = _batches_of(enterprise)
    initial = {"batch": visit.batch_id} if visit else {}
    form = VisitForm(request.POST or None, batches=batches, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = actions.record_visit(
                acting_user=user,
                enterprise=enterprise,
                photos=request.FILES.getlist("photos"),
                visit=visit,
                **form.body(),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        except Conflict as exc:
            errors = {"": [exc.message]}
        else:
            errors = None
        if errors:
            context = _record_context(enterprise, form, visit, errors)
            return render(request, "visits/record.html", context, status=400)
        filed = recorded.difficulties.filter(state=Difficulty.State.FILED).count()
        messages.success(request, _("走访已记录：%(filed)d 个问题已转为诉求。") % {"filed": filed})
        return redirect("visit-detail", recorded.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "visits/record.html", _record_context(enterprise, form, visit), status=status
    )


@login_required
def visit_page(request, pk):
    """A visit: the answers, the difficulties and what became of them, the photos."""
    user = request.user
    if not (scope.is_officer(user) or scope.has_role(user, scope.Role.ENTERPRISE)):
        raise PermissionDenied
    visit = access.access_visit_for_user(user, pk)
    answers = [
        (question.text, visit.answers[question.code])
        for question in Question.objects.all()
        if visit.answers.get(question.code)
    ]
    difficulties = list(visit.difficulties.select_related("appeal", "enterprise"))
    for difficulty in difficulties:
        difficulty.can_file = (
            difficulty.state == Difficulty.State.PENDING
            and access.files_difficulty(user, difficulty)
        )
    context = {
        "title": _("走访：%(name)s") % {"name": visit.enterprise.name},
        "breadcrumbs": [(_("走访记录"), reverse("visit-list"))] if scope.is_officer(user) else [],
        "visit": visit,
        "answers": answers,
        "difficulties": difficulties,
        "photos": visit.photos.all(),
        "can_record": visit.state == Visit.State.PLANNED and visit.visitor_id == user.pk,
        "can_cancel": visit.state == Visit.State.PLANNED
        and (visit.visitor_id == user.pk or access.keeps_batches(user)),
    }
    return render(request, "visits/visit.html", context)


@login_required
@require_POST
def file_difficulty(request, pk):
    user = officer(request)
    try:
        difficulty = Difficulty.objects.select_related("enterprise").get(
            pk=pk, visit__in=access.visible_visits(user).values("pk")
        )
    except Difficulty.DoesNotExist:
        raise Http404 from None
    try:
        appeal = actions.file_difficulty(difficulty, acting_user=user)
    except REFUSED as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("已转为诉求 %(number)s。") % {"number": appeal.number})
    return redirect(request.POST.get("next") or reverse("visit-detail", args=[difficulty.visit_id]))


@login_required
@require_POST
def plan(request, enterprise_id):
    user = officer(request)
    enterprise = access.access_enterprise_for_user(user, enterprise_id)
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("计划日期：%(error)s") % {"error": form.errors["planned_on"][0]})
        return redirect("visit-mine")
    try:
        actions.plan_visit(
            acting_user=user, enterprise=enterprise, planned_on=form.cleaned_data["planned_on"]
        )
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("已计划走访。"))
    return redirect("visit-mine")


@login_required
@require_POST
def cancel(request, pk):
    user = officer(request)
    visit = access.access_visit_for_user(user, pk)
    try:
        actions.cancel_visit(visit, acting_user=user)
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("已取消走访。"))
    return redirect("visit-detail", visit.pk)


@login_required
def photo(request, pk, photo_id):
    """A visit's photo, for whoever may see the visit."""
    visit = access.access_visit_for_user(request.user, pk)
    try:
        found = Photo.objects.get(pk=photo_id, visit=visit)
    except Photo.DoesNotExist:
        raise Http404 from None
    return FileResponse(found.file.open("rb"), filename=found.name, content_type=found.content_type)
