"""The enterprise portal: an enterprise's own appeals in plain words, and filing a new one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.appeals import actions
from qitong.appeals.access import visible_appeals
from qitong.appeals.deadlines import working_days_left
from qitong.appeals.filters import STAGES, AppealFilter
from qitong.appeals.forms_portal import FilingForm
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.core.pages import SEARCH_COUNT_LIMIT, paginate
from qitong.core.workdays import WorkCalendar
from qitong.orgs import scope

S = Appeal.Status
CARD_COLOURS = {"doing": "", "rate": "warning", "done": "success"}
# What the enterprise waits for next, by the case's status (while a unit handles it: see next_step).
WAITING_WORDS = {
    S.SUBMITTED: gettext_lazy("等待受理"),
    S.ACCEPTED: gettext_lazy("已受理，等待派单"),
    S.REJECTED: gettext_lazy("不予受理，原因请查看详情"),
    S.PENDING_REVIEW: gettext_lazy("已办结，服务企业办公室正在审核办理结果"),
    S.ARCHIVED: gettext_lazy("已办结"),
}


def _enterprise_user(request):
    scope.require_role(request.user, scope.Role.ENTERPRISE)
    return request.user


def next_step(appeal, at, calendar):
    """What happens next to the case and by when, as the enterprise would say it.

    While a unit handles the case the enterprise waits first for an answer,
    then for the result, so the deadline shown is the reply's until the unit
    has replied and the resolution's after that.
    """
    step = {"appeal": appeal, "words": WAITING_WORDS.get(appeal.status, ""), "left": None}
    if appeal.status in Appeal.HANDLING_STATES:
        unit = appeal.lead_unit.name if appeal.lead_unit else _("服务企业办公室")
        if appeal.suspended_since:
            step["words"] = _("%(unit)s办理中，已中止计时") % {"unit": unit}
            return step
        label, due = (
            (_("答复期限"), appeal.reply_due)
            if appeal.replied_at is None
            else (_("办结期限"), appeal.resolve_due)
        )
        step["words"] = _("%(unit)s办理中，%(label)s %(due)s") % {
            "unit": unit,
            "label": label,
            "due": format_date(timezone.localtime(due), _("n月j日 H:i")),
        }
        step["left"] = working_days_left(due, at, calendar)
    elif appeal.status == S.PENDING_RATING:
        step["rate"] = not appeal.rating_result
        step["words"] = _("请您评价") if step["rate"] else _("已评价，等待服务企业办公室归档")
    return step


@login_required
def home(request):
    """我的诉求: counts by stage, a filter, and the enterprise's appeals, newest first."""
    user = _enterprise_user(request)
    mine = visible_appeals(user)
    counts = mine.aggregate(**{key: Count("pk", filter=q) for key, (_label, q) in STAGES.items()})
    form = AppealFilter(request.GET or None, user=user, surface="portal")
    context = paginate(
        request,
        form.apply(mine).select_related("lead_unit", "category"),
        count_at_most=SEARCH_COUNT_LIMIT if form.searching else None,
    )
    at, calendar = clock.now(), None
    rows = []
    for appeal in context["page"]:
        if appeal.status in Appeal.HANDLING_STATES and calendar is None:
            calendar = WorkCalendar()
        rows.append(next_step(appeal, at, calendar))
    stage = form.value("stage")
    context.update(
        title=_("我的诉求"),
        form=form,
        rows=rows,
        cards=[
            (key, STAGES[key][0], counts[key], colour, key == stage)
            for key, colour in CARD_COLOURS.items()
        ],
    )
    return render(request, "appeals/portal/home.html", context)


def _file_with_attachments(user, data):
    """File the appeal and attach its files, all or nothing.

    The database rolls back as one; files already written to storage by an
    earlier ``attach`` are removed again when a later step fails.
    """
    stored = []
    try:
        with transaction.atomic():
            appeal, _created = actions.file_appeal(
                acting_user=user,
                enterprise=user.enterprise,
                channel=Appeal.Channel.WEB,
                category=data["category"],
                title=data["title"],
                content=data["content"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
            )
            for upload in data["attachments"]:
                stored.append(
                    actions.attach(appeal, acting_user=user, upload=upload).added_attachment
                )
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return appeal


def _contact_initial(enterprise):
    contact = enterprise.contacts.first()  # the primary contact comes first
    return {"contact_name": contact.name, "contact_phone": contact.phone} if contact else {}


@login_required
def file(request):
    """提交诉求: the form, then the appeal and its attachments in one transaction."""
    user = _enterprise_user(request)
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                appeal = _file_with_attachments(user, form.cleaned_data)
            except ValidationError as exc:
                form.add_action_errors(exc)
            else:
                messages.success(
                    request, _("诉求已提交，编号 %(number)s") % {"number": appeal.number}
                )
                return redirect("appeal-detail", pk=appeal.pk)
    else:
        form = FilingForm(initial=_contact_initial(user.enterprise))
    context = {
        "title": _("提交诉求"),
        "breadcrumbs": [(_("我的诉求"), reverse("portal-home"))],
        "form": form,
    }
    return render(request, "appeals/portal/file.html", context)
