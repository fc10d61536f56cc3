"""The service office's workbench: queues with counts, bulk actions, and triage with dispatch.

The city office sees every case and a district office its own district's;
``visible_appeals`` draws that line, so every queue here starts from it. A
queue is a condition on appeals that an index can answer (``filters.QUEUES``);
each card counts its own queue, the near-deadline queue by the sweep's own
rule on the calendar. The table's filters are ``filters.AppealFilter``, the
same the API and the ledger take, so the export link is the page's own query.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.appeals import actions, deadlines, filters
from qitong.appeals.access import access_appeal_for_user, visible_appeals
from qitong.appeals.models import Appeal, Event
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.core.feedback import REFUSED, back, refusal
from qitong.core.pages import SEARCH_COUNT_LIMIT, paginate
from qitong.core.workdays import WorkCalendar
from qitong.orgs import scope
from qitong.orgs.models import Unit

S = Appeal.Status


# --- which units an office may dispatch to -------------------------------------------


def dispatch_groups(appeal, user):
    """The lead-unit choices for ``appeal``, grouped as the office thinks of them.

    A case with the city office goes to city departments, towns, districts or
    (only by the city office) a district office; a case with a district office
    stays within its district (``scope.units_within_q``).
    """
    units = scope.handling_units().filter(is_active=True)
    if scope.is_city_office(appeal.office):
        groups = [
            (_("市直部门"), lambda u: u.kind == Unit.Kind.DEPARTMENT and u.parent_id is None),
            (_("区县部门"), lambda u: u.kind == Unit.Kind.DEPARTMENT and u.parent_id is not None),
            (_("镇街"), lambda u: u.kind == Unit.Kind.TOWN),
            (_("区县"), lambda u: u.kind == Unit.Kind.DISTRICT),
        ]
        if scope.is_city_office(user.unit):
            groups.insert(
                1,
                (
                    _("区县服务企业办公室"),
                    lambda u: u.kind == Unit.Kind.OFFICE and u.parent_id is not None,
                ),
            )
    else:
        units = units.filter(scope.units_within_q(appeal.office)).exclude(kind=Unit.Kind.OFFICE)
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


def _office_only(user):
    scope.require_role(user, scope.Role.OFFICE)


def export_query(form, queue):
    """The ledger's query for what the table shows: the page's filters and its queue."""
    query = QueryDict(form.query(), mutable=True)
    query["queue"] = queue.key
    return query.urlencode()


@login_required
def workbench(request):
    """诉求工作台: queue cards with counts, filters, and the chosen queue's cases.

    The "all" queue lists the newest cases first: sorting every case ever by a
    computed deadline would read them all.
    """
    _office_only(request.user)
    at, calendar = clock.now(), WorkCalendar()
    key = request.GET.get("queue")
    if key not in filters.QUEUE_BY_KEY:
        key = filters.DEFAULT_QUEUE
    queue = filters.QUEUE_BY_KEY[key]
    visible = visible_appeals(request.user)
    conditions = filters.queue_conditions(at, calendar)  # the calendar walked once per page
    counts = filters.queue_counts(visible, conditions)
    form = filters.AppealFilter(
        request.GET or None, user=request.user, surface="office", at=at, calendar=calendar
    )
    appeals = visible if key == "all" else visible.filter(conditions[key])
    appeals = deadlines.with_next_deadline(form.apply(appeals)).select_related(
        "enterprise", "lead_unit"
    )
    if key == "all":  # every case ever: newest first, straight from an index
        ordering = ("-created_at", "-id")
    else:  # a working queue: the next deadline first, then the longest waiting
        ordering = (F("next_due").asc(nulls_last=True), "created_at", "id")
    context = paginate(
        request,
        appeals.order_by(*ordering),
        count_at_most=SEARCH_COUNT_LIMIT if form.searching else None,
    )
    rows = [
        {
            "appeal": appeal,
            "step": deadlines.STEP_WORDS.get(appeal.next_step, ""),
            "left": deadlines.working_days_left(appeal.next_due, at, calendar),
            "late": appeal.next_due is not None and appeal.next_due < at,
        }
        for appeal in context["page"]
    ]
    export = export_query(form, queue)
    context.update(
        title=_("诉求工作台"),
        queues=[(item, counts[item.key]) for item in filters.QUEUES],
        queue=queue,
        form=form,
        rows=rows,
        bulk=actions.BULK,
        text_limit=actions.NOTE_MAX,
        export_url=f"{reverse('api-appeals-ledger')}?{export}",
    )
    return render(request, "appeals/office/workbench.html", context)


@login_required
@require_POST
def bulk_act(request):
    """One action over the checked cases, each in its own transaction; reports who did not go."""
    _office_only(request.user)
    action = next((item for item in actions.BULK if item.name == request.POST.get("action")), None)
    if action is None:
        messages.error(request, _("请选择要执行的操作。"))
        return back(request, "office-workbench")
    ids = [value for value in request.POST.getlist("appeals") if value.isdigit()]
    if not ids:
        messages.error(request, _("请先勾选诉求。"))
        return back(request, "office-workbench")
    data = {action.text_field: request.POST.get("text", "")} if action.text_field else {}
    body = action.body(data=data)
    if not body.is_valid():
        messages.error(request, refusal(body.errors, action.labels))
        return back(request, "office-workbench")
    appeals = visible_appeals(request.user).filter(pk__in=ids).order_by("number")
    done, failed = 0, []
    for appeal in appeals:
        try:
            action.function(appeal, acting_user=request.user, **body.validated_data)
        except REFUSED as exc:
            failed.append(
                _("%(number)s（%(reason)s）")
                % {"number": appeal.number, "reason": refusal(exc, action.labels).rstrip("。.")}
            )
        else:
            done += 1
    missing = len(set(ids)) - done - len(failed)
    words = {"action": action.label, "done": done}
    if failed or missing:
        count = len(failed) + missing  # refused, and not found (or not visible)
        if missing:
            failed.append(_("%(count)d 件未找到") % {"count": missing})
        report = messages.warning if done else messages.error
        report(
            request,
            _("%(action)s：%(done)d 件成功，%(failed)d 件未能办理：%(list)s")
            % {**words, "failed": count, "list": _("；").join(failed)},
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
    halved = deadlines.halved_for(appeal.enterprise)
    due = deadlines.schedule(
        at, halved=halved, mode=mode, complex=bool(data.get("complex")), calendar=calendar
    )
    # The steps in the case page's words; a co-unit's part by its event's.
    rows = [(step.label, getattr(due, step.key)) for step in deadlines.STEPS]
    if mode == Appeal.Mode.COORDINATED:
        rows.append((Event.Kind.CONTRIBUTE.label, due.co_unit))
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
    body = actions.ACTIONS["dispatch"].body(data=source)
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
        "triage_forms": [
            actions.ACTIONS[name] for name in available if actions.ACTIONS[name].on_triage
        ],
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
