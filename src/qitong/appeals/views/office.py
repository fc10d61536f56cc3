"""The service office's workbench: queues with counts, bulk actions, and triage with dispatch.

The city office sees every case and a district office its own district's;
``visible_appeals`` draws that line, so every queue here starts from it. A
queue is a condition on appeals that an index can answer (a status, or the few
open supervisions and pending requests); each card counts its own queue, the
near-deadline queue by the sweep's own rule on the calendar.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    F,
    Q,
)
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qitong.appeals import actions, deadlines, search, sweep
from qitong.appeals.access import access_appeal_for_user, is_city_office, visible_appeals
from qitong.appeals.api import ACTIONS
from qitong.appeals.models import Appeal, Category, Request
from qitong.appeals.templatetags.appeal_words import action_words
from qitong.appeals.views.common import back, refusal
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.core.pages import SEARCH_COUNT_LIMIT, paginate
from qitong.core.workdays import WorkCalendar
from qitong.enterprises import uscc
from qitong.enterprises.models import Enterprise
from qitong.orgs.models import Unit, User

S = Appeal.Status


class Queue:
    """One card of the workbench: a label, a colour, and how the ledger export can express it."""

    def __init__(self, key, label, colour="", export=None, exact=True):
        self.key, self.label, self.colour = key, label, colour
        self.export = export or {}  # the ledger's query parameters for this queue
        self.exact = exact  # whether those parameters select exactly this queue


QUEUES = (
    Queue("new", gettext_lazy("新诉求"), export={"status": S.SUBMITTED}),
    Queue("accepted", gettext_lazy("待派单"), export={"status": S.ACCEPTED}),
    Queue("near", gettext_lazy("临近期限"), "warning", exact=False),
    Queue("overdue", gettext_lazy("已超期"), "danger", export={"overdue": "true"}),
    Queue("supervised", gettext_lazy("督办中"), "warning", exact=False),
    Queue("review", gettext_lazy("待审核"), export={"status": S.PENDING_REVIEW}),
    Queue(
        "unsatisfied",
        gettext_lazy("不满意"),
        "danger",
        export={"status": S.PENDING_RATING},
        exact=False,
    ),
    Queue(
        "requests",
        gettext_lazy("待审批申请"),
        "warning",
        export={"status": S.IN_PROGRESS},
        exact=False,
    ),
    Queue("all", gettext_lazy("全部诉求"), "success"),
)
QUEUE_BY_KEY = {queue.key: queue for queue in QUEUES}
DEFAULT_QUEUE = "new"


def queue_conditions(at, calendar):
    """Each queue's condition on appeals (but "all")."""
    # Pending requests are few: start from them, not from every case.
    pending_request = Request.objects.filter(decision=Request.Decision.PENDING).values("appeal_id")
    return {
        "new": Q(status=S.SUBMITTED),
        "accepted": Q(status=S.ACCEPTED),
        "near": deadlines.near_deadline_q(at, calendar),  # the sweep's rule
        "overdue": deadlines.overdue_q(at),
        "supervised": sweep.under_supervision_q(),  # whom the sweep urges
        "review": Q(status=S.PENDING_REVIEW),
        "unsatisfied": Q(status=S.PENDING_RATING, rating_result=Appeal.Rating.UNSATISFIED),
        "requests": Q(pk__in=pending_request, status=S.IN_PROGRESS),
    }


def queue_counts(appeals, conditions):
    """One indexed count per queue: one aggregate with a filter per queue reads every case."""
    counts = {key: appeals.filter(condition).count() for key, condition in conditions.items()}
    counts["all"] = appeals.count()
    return counts


def in_queue(appeals, key, conditions):
    return appeals if key == "all" else appeals.filter(conditions[key])


STEP_WORDS = {
    "contact": gettext_lazy("联系"),
    "reply": gettext_lazy("答复"),
    "resolve": gettext_lazy("办结"),
}


# --- which units an office may dispatch to -------------------------------------------


def dispatch_groups(appeal, user):
    """The lead-unit choices for ``appeal``, grouped as the office thinks of them.

    A case with the city office goes to city departments, towns, districts or
    (only by the city office) a district office; a case with a district office
    stays within its district.
    """
    units = Unit.objects.filter(is_active=True).exclude(kind=Unit.Kind.LEADER)
    if is_city_office(appeal.office):
        groups = [
            (_("市直部门"), lambda u: u.kind == Unit.Kind.DEPARTMENT and u.parent_id is None),
            (_("区县部门"), lambda u: u.kind == Unit.Kind.DEPARTMENT and u.parent_id is not None),
            (_("镇街"), lambda u: u.kind == Unit.Kind.TOWN),
            (_("区县"), lambda u: u.kind == Unit.Kind.DISTRICT),
        ]
        if is_city_office(user.unit):
            groups.insert(
                1,
                (
                    _("区县服务企业办公室"),
                    lambda u: u.kind == Unit.Kind.OFFICE and u.parent_id is not None,
                ),
            )
    else:
        district_id = appeal.office.parent_id
        units = units.filter(Q(pk=district_id) | Q(parent_id=district_id)).exclude(
            kind=Unit.Kind.OFFICE
        )
        groups = [
            (_("区县部门"), lambda u: u.kind == Unit.Kind.DEPARTMENT),
            (_("镇街"), lambda u: u.kind == Unit.Kind.TOWN),
            (_("区县"), lambda u: u.kind == Unit.Kind.DISTRICT),
        ]
    units = list(units.order_by("code"))
    result = []
    for label, belongs in groups:
        members = [unit for unit in units if belongs(unit)]
        if members:
            result.append((label, members))
    return result


# --- the workbench -------------------------------------------------------------------


class OfficeFilter(forms.Form):
    """The table's filters; every value is a code the ledger export understands too."""

    q = forms.CharField(
        label=gettext_lazy("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "size": 30,
                "placeholder": gettext_lazy("编号、企业名称、信用代码或关键词"),
            }
        ),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("分类"),
        required=False,
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=gettext_lazy("全部"),
    )
    lead_unit = forms.ModelChoiceField(
        label=gettext_lazy("牵头单位"),
        required=False,
        queryset=Unit.objects.none(),
        to_field_name="code",
        empty_label=gettext_lazy("全部"),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *S.choices]
    )
    submitted_from = forms.DateField(
        label=gettext_lazy("提交日期从"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_to = forms.DateField(
        label=gettext_lazy("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        units = Unit.objects.filter(is_active=True).exclude(kind=Unit.Kind.LEADER)
        if not is_city_office(user.unit):
            district_id = user.unit.parent_id
            units = units.filter(Q(pk=district_id) | Q(parent_id=district_id))
        self.fields["lead_unit"].queryset = units

    def clean(self):
        data = super().clean()
        search.check_filing_days(data.get("submitted_from"), data.get("submitted_to"))
        return data

    def apply(self, appeals):
        if not self.is_valid():
            return appeals
        data = self.cleaned_data
        appeals = search.submitted_between(appeals, data["submitted_from"], data["submitted_to"])
        for word in self.words:
            appeals = search.containing(appeals, word)
        if data["category"]:
            appeals = appeals.filter(
                Q(category=data["category"]) | Q(category__parent=data["category"])
            )
        if data["lead_unit"]:
            appeals = appeals.filter(lead_unit=data["lead_unit"])
        if data["status"]:
            appeals = appeals.filter(status=data["status"])
        return appeals

    @property
    def words(self):
        return self.cleaned_data["q"].split() if self.is_valid() else []

    def export(self, queue):
        """The ledger URL's query for what the table shows, and what it cannot carry.

        The ledger (``api.filtered_appeals``) takes status, unit (lead or
        co-unit), overdue, category and an enterprise's USCC.
        """
        query, dropped = QueryDict(mutable=True), []
        query.update(queue.export)
        if not queue.exact:
            dropped.append(_("“%(queue)s”队列条件") % {"queue": queue.label})
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("status"):
            query["status"] = data["status"]
        for key in ("submitted_from", "submitted_to"):
            if data.get(key):
                query[key] = data[key].isoformat()
        if data.get("category"):
            query["category"] = data["category"].code
        if data.get("lead_unit"):
            query["unit"] = data["lead_unit"].code
            dropped.append(_("牵头单位按承办单位（含协办）导出"))
        words = data.get("q", "").split()
        if len(words) == 1 and _is_uscc(words[0]):
            query["enterprise"] = uscc.normalize(words[0])
        elif words:
            dropped.append(_("搜索词"))
        return query.urlencode(), dropped


def _is_uscc(word):
    try:
        uscc.validate_uscc(word)
    except ValidationError:
        return False
    return True


def _office_only(user):
    if user.role != User.Role.OFFICE or user.unit_id is None:
        raise PermissionDenied


@login_required
def workbench(request):
    """诉求工作台: queue cards with counts, then the chosen queue's cases by next deadline.

    The "all" queue lists the newest cases first: sorting every case ever by a
    computed deadline would read them all.
    """
    _office_only(request.user)
    at, calendar = clock.now(), WorkCalendar()
    key = request.GET.get("queue")
    if key not in QUEUE_BY_KEY:
        key = DEFAULT_QUEUE
    queue = QUEUE_BY_KEY[key]
    visible = visible_appeals(request.user)
    conditions = queue_conditions(at, calendar)  # the calendar walked once per page
    counts = queue_counts(visible, conditions)
    form = OfficeFilter(request.GET or None, user=request.user)
    appeals = form.apply(in_queue(visible, key, conditions))
    appeals = deadlines.with_next_deadline(appeals).select_related("enterprise", "lead_unit")
    if key == "all":  # every case ever: newest first, straight from an index
        ordering = ("-created_at", "-id")
    else:  # a working queue: the next deadline first, then the longest waiting
        ordering = (F("next_due").asc(nulls_last=True), "created_at", "id")
    context = paginate(
        request,
        appeals.order_by(*ordering),
        count_at_most=SEARCH_COUNT_LIMIT if form.words else None,
    )
    rows = [
        {
            "appeal": appeal,
            "step": STEP_WORDS.get(appeal.next_step, ""),
            "left": deadlines.working_days_left(appeal.next_due, at, calendar),
            "late": appeal.next_due is not None and appeal.next_due < at,
        }
        for appeal in context["page"]
    ]
    export_query, export_dropped = form.export(queue)
    context.update(
        title=_("诉求工作台"),
        queues=[(item, counts[item.key]) for item in QUEUES],
        queue=queue,
        form=form,
        rows=rows,
        bulk=BULK_ACTIONS,
        export_url=f"{reverse('api-appeals-ledger')}?{export_query}".rstrip("?"),
        export_dropped=export_dropped,
    )
    return render(request, "appeals/office/workbench.html", context)


# The bulk actions of the toolbar; the shared text goes to the action as its reason or note.
BULK_ACTIONS = ("accept", "supervise", "urge", "approve")
BULK_TEXT_FIELD = {"supervise": "reason", "urge": "note"}


@login_required
@require_POST
def bulk_act(request):
    """One action over the checked cases, each in its own transaction; reports who did not go."""
    _office_only(request.user)
    name = request.POST.get("action")
    if name not in BULK_ACTIONS:
        messages.error(request, _("请选择要执行的操作。"))
        return back(request, "office-workbench")
    ids = [value for value in request.POST.getlist("appeals") if value.isdigit()]
    if not ids:
        messages.error(request, _("请先勾选诉求。"))
        return back(request, "office-workbench")
    function, body_class = ACTIONS[name]
    data = {}
    if name in BULK_TEXT_FIELD:
        data[BULK_TEXT_FIELD[name]] = request.POST.get("text", "")
    body = body_class(data=data)
    if not body.is_valid():
        messages.error(request, _("输入有误，未办理。"))
        return back(request, "office-workbench")
    appeals = visible_appeals(request.user).filter(pk__in=ids).order_by("number")
    done, failed = 0, []
    for appeal in appeals:
        try:
            function(appeal, acting_user=request.user, **body.validated_data)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            failed.append(f"{appeal.number}（{refusal(exc).rstrip('。')}）")
        else:
            done += 1
    missing = len(set(ids)) - done - len(failed)
    words = {"action": action_words(name), "done": done}
    if failed or missing:
        if missing:
            failed.append(_("%(count)d 件未找到") % {"count": missing})
        report = messages.warning if done else messages.error
        report(
            request,
            _("%(action)s：%(done)d 件成功，%(failed)d 件未能办理：%(list)s")
            % {**words, "failed": len(failed) - bool(missing) + missing, "list": "；".join(failed)},
        )
    else:
        messages.success(request, _("%(action)s：%(done)d 件成功。") % words)
    return back(request, "office-workbench")


# --- triage and dispatch -------------------------------------------------------------


def _preview(appeal, data, at, calendar):
    """What a dispatch with ``data`` would set now: the context of the preview fragment."""
    mode = data.get("mode") or ""
    if mode not in Appeal.Mode.values:
        return {"hint": _("请选择办理方式。")}
    if mode != Appeal.Mode.DIRECT:
        lead = Unit.objects.filter(code=data.get("lead_unit") or "", is_active=True).first()
        if lead is not None and lead.kind == Unit.Kind.OFFICE:
            return {"hint": _("转交%(office)s后，由其派单并开始计时。") % {"office": lead.name}}
    halved = appeal.enterprise.tier == Enterprise.Tier.KEY
    due = deadlines.schedule(
        at, halved=halved, mode=mode, complex=bool(data.get("complex")), calendar=calendar
    )
    rows = [(_("联系企业"), due.contact), (_("答复企业"), due.reply), (_("办结"), due.resolve)]
    if mode == Appeal.Mode.COORDINATED:
        rows.append((_("协办单位提交意见"), due.co_unit))
    return {
        "start": at,
        "halved": halved,
        "provisional": due.provisional,
        "rows": [
            (label, deadline.at, deadlines.working_days_left(deadline.at, at, calendar))
            for label, deadline in rows
        ],
    }


# Errors that belong to no one field, as DRF and Django name them, shown as ``general``.
GENERAL = {"non_field_errors": "general", "__all__": "general"}


def _dispatch_body(source):
    """The page parses exactly as the API does: ``DispatchBody``."""
    body = ACTIONS["dispatch"][1](data=source)
    return body, body.is_valid()


@login_required
def triage(request, pk):
    """分拣派单: the case on top; accept or reject it, or choose how it is handled and by whom."""
    _office_only(request.user)
    appeal = access_appeal_for_user(request.user, pk)
    at, calendar = clock.now(), WorkCalendar()
    errors, chosen = (
        {},
        {"mode": Appeal.Mode.TRANSFER, "lead_unit": "", "co_units": [], "complex": False},
    )
    if request.method == "POST":
        body, valid = _dispatch_body(request.POST)
        chosen = {
            "mode": request.POST.get("mode", ""),
            "lead_unit": request.POST.get("lead_unit", ""),
            "co_units": request.POST.getlist("co_units"),
            "complex": bool(request.POST.get("complex")),
        }
        if not valid:
            errors = body.errors
        else:
            try:
                appeal = actions.dispatch(appeal, acting_user=request.user, **body.validated_data)
            except ValidationError as exc:
                errors = (
                    exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                )
            except (Conflict, PermissionDenied) as exc:
                messages.error(request, refusal(exc))
                return redirect("office-triage", pk=appeal.pk)
            else:
                if appeal.resolve_due:
                    messages.success(
                        request,
                        _("已派单，办结期限 %(due)s。")
                        % {"due": f"{clock.local(appeal.resolve_due):%Y-%m-%d %H:%M}"},
                    )
                else:
                    messages.success(request, _("已转交 %(office)s。") % {"office": appeal.office})
                return redirect("appeal-detail", pk=appeal.pk)
        messages.error(request, _("派单未成功，请按提示修改。"))
    available = actions.available_actions(request.user, appeal)
    can_dispatch = "dispatch" in available
    context = {
        "title": _("分拣派单 %(number)s") % {"number": appeal.number},
        "breadcrumbs": [
            (_("诉求工作台"), reverse("office-workbench")),
            (appeal.number, reverse("appeal-detail", args=[appeal.pk])),
        ],
        "appeal": appeal,
        "triage_forms": [name for name in ("accept", "reject") if name in available],
        "can_dispatch": can_dispatch,
        "modes": Appeal.Mode.choices,
        "groups": dispatch_groups(appeal, request.user) if can_dispatch else [],
        "chosen": chosen,
        "errors": {
            GENERAL.get(field, field): " ".join(str(message) for message in found)
            for field, found in errors.items()
        },
        "preview": _preview(appeal, chosen, at, calendar) if can_dispatch else None,
    }
    return render(request, "appeals/office/triage.html", context)


@login_required
def dispatch_preview(request, pk):
    """The deadlines the dispatch form's current choice would set, as a fragment for htmx."""
    _office_only(request.user)
    appeal = access_appeal_for_user(request.user, pk)
    body, valid = _dispatch_body(request.GET)
    data = body.validated_data if valid else {}
    context = {"preview": _preview(appeal, data, clock.now(), WorkCalendar())}
    return render(request, "appeals/office/dispatch_preview.html", context)
