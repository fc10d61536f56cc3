"""The office's pages of the Open311 requests that name no enterprise: the list, each
request, and the office's decisions on it (``actions.REQUEST_ACTIONS``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.audit import reveal
from qitong.core.feedback import REFUSED, refusal
from qitong.core.pages import paginate
from qitong.integrations import access, actions
from qitong.integrations.models import ServiceRequest

# The tabs of the list: the waiting requests first, then those decided.
TABS = {
    "pending": (ServiceRequest.State.PENDING,),
    "decided": ServiceRequest.DECIDED,
}


@login_required
def waiting(request):
    """Open311 请求: what waits for the office (oldest first), and what it decided."""
    access.require_office(request.user)
    tab = request.GET.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    order = "received_at" if tab == "pending" else "-received_at"
    rows = access.visible_service_requests(request.user).filter(state__in=TABS[tab])
    context = {
        "title": _("Open311 请求"),
        "tab": tab,
        "waiting_count": access.visible_service_requests(request.user)
        .filter(state=ServiceRequest.State.PENDING)
        .count(),
        **paginate(request, rows.order_by(order, "id")),
    }
    return render(request, "integrations/office_list.html", context)


@login_required
def detail(request, pk):
    access.require_office(request.user)
    found = access.access_service_request_for_user(request.user, pk)
    context = {
        "title": _("Open311 请求 %(token)s") % {"token": found.token},
        "item": found,
        "forms": list(actions.REQUEST_ACTIONS.values())
        if found.state == ServiceRequest.State.PENDING
        else [],
        "facts": actions.request_facts(found),
        "reveal_phone": bool(found.phone),
    }
    return render(request, "integrations/office_request.html", context)


@login_required
def reveal_phone(request, pk):
    """查看完整号码: the reporter's phone in full, for the offices that decide on the request,
    with a reason (``audit.reveal``)."""
    access.require_office(request.user)
    found = access.access_service_request_for_user(request.user, pk)
    return reveal.page(
        request,
        target=f"open311:{found.pk}",
        field="phone",
        label=_("电话"),
        value=found.phone,
        back_url=reverse("office-open311-request", args=[found.pk]),
        subject=_("Open311 请求 %(token)s 的报告人 %(name)s")
        % {"token": found.token, "name": found.reporter or "—"},
    )


@login_required
@require_POST
def act(request, pk, name):
    """Take one decision from its form: the action's fields are its keywords."""
    access.require_office(request.user)
    found = access.access_service_request_for_user(request.user, pk)
    action = actions.REQUEST_ACTIONS.get(name)
    if action is None:
        raise Http404
    labels = {field: str(label) for field, label, _required in action.fields}
    values = {field: request.POST.get(field, "") for field in labels}
    try:
        action.function(found, acting_user=request.user, **values)
    except REFUSED as exc:
        messages.error(request, refusal(exc, labels))
    else:
        messages.success(request, _("已完成：%(action)s") % {"action": action.label})
    return redirect("office-open311-request", pk=found.pk)
