"""The case page every role shares: facts, deadlines, timeline, and the actions the user may take."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.appeals import actions, deadlines
from qitong.appeals.access import access_appeal_for_user
from qitong.appeals.api import ACTIONS
from qitong.appeals.models import Appeal, Assignment, EscalationStep
from qitong.appeals.templatetags.appeal_words import action_words
from qitong.appeals.views.common import attempt, back, refusal
from qitong.core import clock
from qitong.core.workdays import WorkCalendar

MILESTONES = [
    ("contact", _("联系企业"), "contact_due", "contacted_at"),
    ("reply", _("答复企业"), "reply_due", "replied_at"),
    ("resolve", _("办结"), "resolve_due", "resolved_at"),
]
# Actions whose form lives on another screen (the office's triage screen).
ELSEWHERE = {"dispatch"}


def milestones(appeal, at, calendar):
    """Each deadline with when it was met, whether in time, and the working time left."""
    rows = []
    for key, label, due_field, done_field in MILESTONES:
        due, done = getattr(appeal, due_field), getattr(appeal, done_field)
        rows.append(
            {
                "key": key,
                "label": label,
                "due": due,
                "done": done,
                "on_time": deadlines.on_time(due, done, at),
                "left": None
                if done or appeal.suspended_since
                else deadlines.working_days_left(due, at, calendar),
            }
        )
    return rows


@login_required
def detail(request, pk):
    appeal = access_appeal_for_user(request.user, pk)
    at = clock.now()
    available = actions.available_actions(request.user, appeal)
    context = {
        "title": appeal.number,
        "appeal": appeal,
        "milestones": milestones(appeal, at, WorkCalendar()),
        "overdue": deadlines.is_overdue(appeal, at),
        "events": appeal.events.select_related("actor", "unit"),
        "supervisions": appeal.supervisions.all(),
        "co_parts": appeal.assignments.filter(role=Assignment.Role.CO, active=True).select_related(
            "unit"
        ),
        "requests": appeal.requests.all(),
        "attachments": appeal.attachments.all(),
        "forms": [name for name in available if name not in ELSEWHERE],
        "can_dispatch": "dispatch" in available,
        "ladder": EscalationStep.objects.filter(level__gt=appeal.escalation_level),
        "ratings": Appeal.Rating.choices,
    }
    return render(request, "appeals/detail.html", context)


@login_required
@require_POST
def act(request, pk, name):
    """Take one action from a page form; the same parsing and rules as the API."""
    appeal = access_appeal_for_user(request.user, pk)
    if name not in ACTIONS:
        raise Http404
    function, body_class = ACTIONS[name]
    body = body_class(data=request.POST)
    if not body.is_valid():
        messages.error(request, refusal(body.errors))
    else:
        attempt(
            request,
            lambda: function(appeal, acting_user=request.user, **body.validated_data),
            _("已完成：%(action)s") % {"action": action_words(name)},
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
