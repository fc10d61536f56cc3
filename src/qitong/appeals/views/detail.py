"""The case page every role shares: facts, deadlines, timeline, and the actions the user may take."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.appeals import actions, deadlines
from qitong.appeals.access import access_appeal_for_user, events_as_seen_by, may_reveal_contact
from qitong.appeals.models import Appeal, Assignment, EscalationStep
from qitong.audit import reveal
from qitong.core import clock
from qitong.core.feedback import attempt, back, refusal
from qitong.core.workdays import WorkCalendar


def milestones(appeal, at, calendar):
    """Each deadline with when it was met, whether in time, and the working time left."""
    rows = []
    for step in deadlines.STEPS:
        due, done = getattr(appeal, step.due), getattr(appeal, step.done)
        rows.append(
            {
                "key": step.key,
                "label": step.label,
                "due": due,
                "done": done,
                "on_time": deadlines.on_time(due, done, at),
                "left": None
                if done or appeal.suspended_since
                else deadlines.working_days_left(due, at, calendar),
            }
        )
    return rows


# What apps above this one add to the case page, registered from their ``AppConfig.ready``
# (this app imports none of them): ``panel(request, appeal)`` answers the context of one
# more section, its template under ``"template"``, or None when the user has none.
PANELS = []


def add_panel(panel):
    if panel not in PANELS:
        PANELS.append(panel)


@login_required
def detail(request, pk):
    appeal = access_appeal_for_user(request.user, pk)
    at = clock.now()
    available = [actions.ACTIONS[name] for name in actions.available_actions(request.user, appeal)]
    context = {
        "title": appeal.number,
        "appeal": appeal,
        "milestones": milestones(appeal, at, WorkCalendar()),
        "overdue": deadlines.is_overdue(appeal, at),
        "events": events_as_seen_by(
            request.user, list(appeal.events.select_related("actor__unit", "unit"))
        ),
        "supervisions": appeal.supervisions.all(),
        "co_parts": appeal.assignments.filter(role=Assignment.Role.CO, active=True).select_related(
            "unit"
        ),
        "requests": appeal.requests.all(),
        "attachments": appeal.attachments.all(),
        "forms": [action for action in available if action.screen == "case"],
        "can_dispatch": any(action.name == "dispatch" for action in available),
        "ladder": EscalationStep.objects.filter(level__gt=appeal.escalation_level),
        "ratings": Appeal.Rating.choices,
        "panels": [found for panel in PANELS if (found := panel(request, appeal))],
    }
    return render(request, "appeals/detail.html", context)


@login_required
@require_POST
def act(request, pk, name):
    """Take one action from a page form; the same parsing and rules as the API."""
    appeal = access_appeal_for_user(request.user, pk)
    action = actions.ACTIONS.get(name)
    if action is None or action.route:  # attach posts a file to ``upload``
        raise Http404
    body = action.body(data=request.POST)
    if not body.is_valid():
        messages.error(request, refusal(body.errors, action.labels))
    else:
        attempt(
            request,
            lambda: action.function(appeal, acting_user=request.user, **body.validated_data),
            _("已完成：%(action)s") % {"action": action.label},
            action.labels,
        )
    return back(request, "appeal-detail", pk=appeal.pk)


@login_required
@require_POST
def upload(request, pk):
    appeal = access_appeal_for_user(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要上传的文件。"))
    else:
        attempt(
            request,
            lambda: actions.attach(appeal, acting_user=request.user, upload=upload),
            _("附件已上传。"),
        )
    return back(request, "appeal-detail", pk=appeal.pk)


@login_required
def reveal_contact(request, pk):
    """查看完整号码: the case's contact phone in full, for whoever handles the case, with a reason
    (``audit.reveal``); 403 for anyone else who may see the case, 404 for the rest."""
    appeal = access_appeal_for_user(request.user, pk)
    if not may_reveal_contact(request.user, appeal):
        raise PermissionDenied
    return reveal.page(
        request,
        target=f"appeal:{appeal.pk}",
        field="contact_phone",
        label=_("联系电话"),
        value=appeal.contact_phone,
        back_url=reverse("appeal-detail", args=[appeal.pk]),
        subject=_("%(number)s %(title)s 的联系人 %(name)s")
        % {"number": appeal.number, "title": appeal.title, "name": appeal.contact_name or "—"},
    )
