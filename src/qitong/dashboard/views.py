"""The cockpit pages: parse the month (and figure, unit), ask ``cockpit`` for the numbers, render."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qitong.appeals.figures import check_month, counted_units, month_of
from qitong.audit import reveal, trail
from qitong.core import clock
from qitong.core.pages import paginate
from qitong.dashboard import cockpit as figures_of
from qitong.dashboard import dossier as dossiers
from qitong.orgs import scope
from qitong.visits import access as visit_access


def month_field():
    return forms.CharField(
        label=_("统计月份"),
        required=False,
        validators=[check_month],
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )


class PeriodForm(forms.Form):
    month = month_field()


class CasesForm(forms.Form):
    kind = forms.ChoiceField(label=_("指标"), choices=list(figures_of.KINDS.items()))
    month = month_field()
    unit = forms.ChoiceField(label=_("单位"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("全市")), *((u.code, u.name) for u in units)]


def _allowed(request):
    if not figures_of.can_view(request.user):
        raise PermissionDenied


def _month(form, today):
    value = form.cleaned_data.get("month") if form.is_valid() else ""
    start, end = month_of(value, today)
    return start, end, f"{start:%Y-%m}"


@login_required
def cockpit(request):
    _allowed(request)
    at = clock.now()
    today = clock.local(at)
    # Without a month the form is unbound and its picker shows the month on view.
    form = PeriodForm(
        request.GET if "month" in request.GET else None, initial={"month": f"{today:%Y-%m}"}
    )
    start, end, month = _month(form, today)
    context = {
        "title": _("领导驾驶舱"),
        "form": form,
        "month": month,
        "start": start,
        **figures_of.overview(request.user, start, end, at),
    }
    # A month that cannot be shown is answered with this month's figures and
    # the form's error beside the picker, as a refusal (400).
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "dashboard/cockpit.html", context, status=status)


@login_required
def cases(request):
    _allowed(request)
    at = clock.now()
    units = counted_units()
    form = CasesForm(request.GET, units=units)
    if not form.is_valid():
        context = {"title": _("指标明细"), "form": form, "invalid": True}
        return render(request, "dashboard/cases.html", context, status=400)
    start, end, month = _month(form, clock.local(at))
    kind, unit = form.cleaned_data["kind"], form.cleaned_data["unit"]
    found = figures_of.cases(
        kind, user=request.user, start=start, end=end, at=at, unit=unit, units=units
    )
    listing = paginate(request, found.appeals)
    figures_of.mark_overdue(listing["page"].object_list, at)
    context = {
        "title": figures_of.KINDS[kind],
        "breadcrumbs": [(_("领导驾驶舱"), f"{reverse('cockpit')}?month={month}")],
        "form": form,
        "kind": kind,
        "per_month": kind in figures_of.PERIOD_KINDS,
        "note": getattr(figures_of.PERIOD_KINDS.get(kind), "note", ""),
        "month": month,
        "unit_name": dict(form.fields["unit"].choices).get(unit),
        "found": found,
        **listing,
    }
    return render(request, "dashboard/cases.html", context)


@login_required
def dossier(request, pk):
    """一企一档: one enterprise's file, printable, as the user may see it."""
    user = request.user
    try:
        enterprise = dossiers.access_dossier(user, pk)
    except Http404:
        trail.record(
            trail.Action.READ_PERSONAL, target=f"enterprise:{pk}", outcome=trail.Outcome.DENIED
        )
        raise
    # The dossier holds the contacts' names and phones: every reading is on the audit trail.
    trail.record(
        trail.Action.READ_PERSONAL,
        target=f"enterprise:{enterprise.pk}",
        detail={"page": "dossier", "name": enterprise.name},
    )
    context = {
        "title": _("一企一档：%(name)s") % {"name": enterprise.name},
        **dossiers.assemble(user, enterprise, clock.now()),
        # Phones masked but to the enterprise itself; those who need one reveal it.
        "contacts_in_full": scope.has_role(user, scope.Role.ENTERPRISE),
        "may_reveal": visit_access.may_reveal_contacts(user, enterprise),
    }
    return render(request, "dashboard/dossier.html", context)


@login_required
def reveal_contact(request, pk, contact_id):
    """查看完整号码: one contact's phone of an enterprise's file, for its pairers and offices,
    with a reason (``audit.reveal``); 403 for others who may read the file, 404 for the rest."""
    enterprise = dossiers.access_dossier(request.user, pk)
    if not visit_access.may_reveal_contacts(request.user, enterprise):
        raise PermissionDenied
    contact = enterprise.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return reveal.page(
        request,
        target=f"contact:{contact.pk}",
        field="phone",
        label=_("电话"),
        value=contact.phone,
        back_url=reverse("dossier", args=[enterprise.pk]),
        subject=_("%(enterprise)s 的联系人 %(name)s")
        % {"enterprise": enterprise.name, "name": contact.name},
    )
