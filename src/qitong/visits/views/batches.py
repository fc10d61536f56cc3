"""Visit batches' pages: the list with the office's form, and a batch's coverage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from qitong.core.feedback import refusal
from qitong.visits import access, actions, ledger
from qitong.visits.forms import BatchForm
from qitong.visits.models import Visit
from qitong.visits.views.visits import officer


def _covered(user, covers):
    """The enterprises a new batch must cover, from the form's choice, within the office's scope."""
    enterprises = access.enterprises_in_scope(user)
    if covers == "paired":
        return enterprises.filter(pk__in=access.active_pairings().values("enterprise_id"))
    if covers == "above_scale":
        return enterprises.filter(above_scale=True)
    return enterprises


@login_required
def batch_list(request):
    """走访批次: every batch with its coverage; an office starts a new one here."""
    user = officer(request)
    form = BatchForm(request.POST or None) if access.keeps_batches(user) else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = actions.create_batch(
                    acting_user=user,
                    name=data["name"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    enterprises=_covered(user, data["covers"]).values("pk"),
                )
            except (PermissionDenied, ValidationError) as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, _("已新建走访批次：%(name)s。") % {"name": batch.name})
                return redirect("visit-batch", batch.pk)
    batches = [(batch, ledger.coverage(batch)) for batch in access.visible_batches(user)]
    status = 400 if form is not None and form.is_bound else 200
    return render(
        request,
        "visits/batches.html",
        {"title": _("走访批次"), "batches": batches, "form": form},
        status=status,
    )


@login_required
def batch_page(request, pk):
    """A batch: its coverage ("three 100%"), and the enterprises not yet visited."""
    user = officer(request)
    batch = access.access_batch_for_user(user, pk)
    visited = Visit.objects.filter(batch=batch, state=Visit.State.DONE).values("enterprise_id")
    context = {
        "title": batch.name,
        "breadcrumbs": [(_("走访批次"), reverse("visit-batches"))],
        "batch": batch,
        "coverage": ledger.coverage(batch),
        "not_visited": access.enterprises_in_scope(user)
        .filter(pk__in=batch.enterprises.values("pk"))
        .exclude(pk__in=visited)
        .order_by("name")[:200],
    }
    return render(request, "visits/batch.html", context)
