"""Pairing's pages: the pairer's workbench (what is owed and overdue), the pairing ledger
with the office's form to pair, ending a pairing, a check-in, and the ledger as .xlsx."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.core.exports import CONTENT_TYPE
from qitong.core.feedback import REFUSED, refusal
from qitong.core.pages import paginate
from qitong.enterprises.models import Enterprise
from qitong.orgs import scope
from qitong.visits import access, actions, ledger, rhythm
from qitong.visits.forms import CheckInForm, PairingForm, PlanForm
from qitong.visits.models import Pairing, Visit
from qitong.visits.views.visits import officer


@login_required
def mine(request):
    """我的包联企业: the user's paired enterprises, what each is owed, overdue first."""
    user = request.user
    if not scope.has_role(user, scope.Role.LEADER, scope.Role.UNIT):
        raise PermissionDenied
    now = clock.now()
    pairings = rhythm.with_owed(
        access.my_pairings(user).select_related("enterprise", "unit", "leader"), now
    )
    pairings.sort(key=lambda p: (not p.owed.overdue, p.enterprise.name))
    planned = (
        Visit.objects.filter(visitor=user, state=Visit.State.PLANNED)
        .select_related("enterprise")
        .order_by("planned_on")
    )
    context = {
        "title": _("我的包联企业"),
        "pairings": pairings,
        "overdue": sum(1 for p in pairings if p.owed.overdue),
        "planned": planned,
        "checkin_form": CheckInForm(),
        "plan_form": PlanForm(),
        "now": now,
    }
    return render(request, "visits/mine.html", context)


def _pairings(request, user):
    pairings = access.visible_pairings(user).select_related("enterprise", "unit", "leader")
    if request.GET.get("ended") != "1":
        pairings = pairings.filter(ended_at__isnull=True)
    words = (request.GET.get("q") or "").strip()
    if words:
        pairings = pairings.filter(
            Q(enterprise__name__contains=words)
            | Q(enterprise__uscc=words.upper())
            | Q(unit__name__contains=words)
        )
    if request.GET.get("overdue") == "1":
        pairings = pairings.filter(
            pk__in=rhythm.overdue(Pairing.objects.all(), clock.now()).values("pk")
        )
    return pairings.order_by("enterprise__name", "kind", "pk")


@login_required
def pairing_list(request):
    """包联台帐: the pairings the user may see, with what is owed; an office pairs here."""
    user = officer(request)
    keeps = scope.has_role(user, scope.Role.OFFICE)
    form = PairingForm(request.POST or None, office=user.unit) if keeps else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            enterprise = Enterprise.objects.filter(uscc=data["uscc"].strip().upper()).first()
            try:
                if enterprise is None:
                    raise ValidationError({"uscc": [_("企业不存在。")]})
                actions.pair(
                    acting_user=user,
                    enterprise=enterprise,
                    unit=data.get("unit"),
                    leader=data.get("leader"),
                )
            except REFUSED as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, _("已安排包联：%(name)s。") % {"name": enterprise.name})
                return redirect("visit-pairings")
    now = clock.now()
    context = paginate(request, _pairings(request, user))
    table = rhythm.rhythms()
    page = list(
        rhythm.annotated(
            Pairing.objects.filter(pk__in=[p.pk for p in context["page"].object_list])
            .select_related("enterprise", "unit", "leader")
            .order_by("enterprise__name", "kind", "pk")
        )
    )
    for pairing in page:
        pairing.owed = rhythm.owed(pairing, now, table)
    context["page"].object_list = page
    context.update(title=_("包联台帐"), form=form, query=request.GET.urlencode())
    status = 400 if form is not None and form.is_bound and not form.is_valid() else 200
    return render(request, "visits/pairings.html", context, status=status)


@login_required
def pairing_ledger(request):
    user = officer(request)
    pairings = rhythm.with_owed(_pairings(request, user), clock.now())
    return FileResponse(
        ledger.pairing_ledger(pairings),
        as_attachment=True,
        filename=ledger.filename("pairings", clock.now()),
        content_type=CONTENT_TYPE,
    )


def _pairing(user, pk):
    try:
        return access.visible_pairings(user).select_related("enterprise").get(pk=pk)
    except Pairing.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def end(request, pk):
    user = officer(request)
    pairing = _pairing(user, pk)
    try:
        actions.end_pairing(pairing, acting_user=user)
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("已结束包联。"))
    return redirect("visit-pairings")


@login_required
@require_POST
def checkin(request, pk):
    user = officer(request)
    pairing = _pairing(user, pk)
    form = CheckInForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"note": form.errors["note"]})
        actions.check_in(pairing, acting_user=user, note=form.cleaned_data["note"])
    except REFUSED as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, _("已登记调度：%(name)s。") % {"name": pairing.enterprise.name})
    return redirect("visit-mine")
