"""The enterprise's own profile page (portal/profile/): its size, qualifications, address
and contacts, kept by its staff through ``actions``, each change in its history."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qitong.core.feedback import refusal
from qitong.enterprises import actions
from qitong.enterprises.models import Contact, Enterprise, Qualification
from qitong.orgs import scope


class ProfileForm(forms.Form):
    size = forms.ChoiceField(label=gettext_lazy("企业规模"), choices=Enterprise.Size.choices)
    qualifications = forms.ModelMultipleChoiceField(
        label=gettext_lazy("资质"),
        queryset=Qualification.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    address = forms.CharField(label=gettext_lazy("地址"), max_length=200, required=False)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "is_primary"]


def _enterprise(request):
    if not scope.has_role(request.user, scope.Role.ENTERPRISE):
        raise PermissionDenied
    return Enterprise.objects.get(pk=request.user.enterprise_id)


def _contact(enterprise, pk):
    try:
        return enterprise.contacts.get(pk=pk)
    except Contact.DoesNotExist:
        raise Http404 from None


def _refusal(exc):
    return refusal(exc, forbidden=_("您无权修改该企业的信息。"))


@login_required
def profile(request):
    """企业信息: the profile form, the contacts with their forms, and the latest changes."""
    enterprise = _enterprise(request)
    form = ProfileForm(
        request.POST or None,
        initial={
            "size": enterprise.size,
            "qualifications": enterprise.qualifications.all(),
            "address": enterprise.address,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_profile(
                enterprise,
                acting_user=request.user,
                size=data["size"],
                qualifications=[q.code for q in data["qualifications"]],
                address=data["address"],
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, _("企业信息已更新。"))
            return redirect("portal-profile")
    contacts = [
        (contact, ContactForm(instance=contact, prefix=f"c{contact.pk}"))
        for contact in enterprise.contacts.all()
    ]
    changes = list(enterprise.changes.select_related("actor")[:20])
    for change in changes:
        change.label = actions.field_label(change.field)
    context = {
        "title": _("企业信息"),
        "enterprise": enterprise,
        "form": form,
        "contacts": contacts,
        "new_contact": ContactForm(prefix="new"),
        "changes": changes,
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "enterprises/profile.html", context, status=status)


def _save(request, enterprise, contact, prefix):
    form = ContactForm(request.POST, prefix=prefix)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        actions.save_contact(
            enterprise, acting_user=request.user, contact=contact, **form.cleaned_data
        )
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("联系人已保存。"))
    return redirect("portal-profile")


@login_required
@require_POST
def add_contact(request):
    return _save(request, _enterprise(request), None, "new")


@login_required
@require_POST
def edit_contact(request, pk):
    enterprise = _enterprise(request)
    contact = _contact(enterprise, pk)
    return _save(request, enterprise, contact, f"c{contact.pk}")


@login_required
@require_POST
def remove_contact(request, pk):
    enterprise = _enterprise(request)
    actions.remove_contact(_contact(enterprise, pk), acting_user=request.user)
    messages.success(request, _("联系人已删除。"))
    return redirect("portal-profile")
