"""Changes to an enterprise's profile, and their history (``EnterpriseChange``).

Every road that changes a profile writes its history through ``record_changes``:
the enterprise's own portal page (``update_profile``, ``save_contact``,
``remove_contact``), the admin (``EnterpriseAdmin.save_related``), the
import (``imports``) and the market regulator's registry (``registry``). Each
takes a ``snapshot`` before, changes the rows, and calls
``record_changes(enterprise, before, actor=…, source=…)``, which writes one row
per field whose words differ. Values are kept as the words a reader
sees (中型, not ``medium``), so the history reads the same after choices change.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.enterprises.models import Contact, Enterprise, EnterpriseChange, Qualification
from qitong.orgs import scope

Source = EnterpriseChange.Source
# The fields a history follows, in the order the dossier shows them.
TRACKED = (
    "name",
    "region",
    "industry",
    "size",
    "tier",
    "above_scale",
    "address",
    "legal_representative",
    "registered_capital",
    "established_on",
    "registration_status",
    "verified",
    "qualifications",
    "contacts",
)


def field_label(field):
    """The words for a tracked field, as the history shows it."""
    if field == "contacts":
        return _("联系人")
    if field == "registered_capital":  # its words carry the unit and the currency
        return _("注册资本")
    return str(Enterprise._meta.get_field(field).verbose_name)


def _contact_words(contact):
    parts = [contact.name, contact.title, contact.phone, contact.email]
    words = " ".join(part for part in parts if part)
    return f"{words}{_('（主要联系人）')}" if contact.is_primary else words


def capital_words(amount, currency):
    """A registered capital as the history and the dossier show it: 500 万元人民币."""
    if amount is None:
        return ""
    number = format(amount.normalize(), "f") if amount else "0"
    return _("%(amount)s 万元%(currency)s") % {"amount": number, "currency": currency}


def profile_words(enterprise):
    """``{field: words}`` of the enterprise's own columns among the tracked fields (its
    region read through ``enterprise.region``)."""
    return {
        "name": enterprise.name,
        "region": enterprise.region.name if enterprise.region_id else "",
        "industry": enterprise.industry,
        "size": enterprise.get_size_display(),
        "tier": enterprise.get_tier_display(),
        "above_scale": _("是") if enterprise.above_scale else _("否"),
        "address": enterprise.address,
        "legal_representative": enterprise.legal_representative,
        "registered_capital": capital_words(
            enterprise.registered_capital, enterprise.capital_currency
        ),
        "established_on": enterprise.established_on.isoformat()
        if enterprise.established_on
        else "",
        "registration_status": str(enterprise.get_registration_status_display()),
        "verified": _("是") if enterprise.verified else _("否"),
    }


def snapshot(enterprise):
    """``{field: words}`` of the tracked fields of ``enterprise`` as the database holds them."""
    enterprise = Enterprise.objects.select_related("region").get(pk=enterprise.pk)
    return {
        **profile_words(enterprise),
        "qualifications": "、".join(sorted(q.name for q in enterprise.qualifications.all())),
        "contacts": "\n".join(_contact_words(c) for c in enterprise.contacts.order_by("pk")),
    }


def record_changes(enterprise, before, *, actor, source, at=None, after=None):
    """Write one ``EnterpriseChange`` per tracked field whose words differ from ``before``.

    ``after`` defaults to the enterprise's ``snapshot`` now. Returns the rows written.
    """
    after = snapshot(enterprise) if after is None else after
    at = at or clock.now()
    rows = [
        EnterpriseChange(
            enterprise_id=enterprise.pk,
            at=at,
            actor=actor if actor is not None and actor.pk else None,
            source=source,
            field=field,
            old=str(before.get(field, "")),
            new=str(after.get(field, "")),
        )
        for field in TRACKED
        if str(before.get(field, "")) != str(after.get(field, ""))
    ]
    return EnterpriseChange.objects.bulk_create(rows)


def keeps_profile(user, enterprise):
    """The enterprise's own staff keep its contacts and profile."""
    return scope.has_role(user, scope.Role.ENTERPRISE) and user.enterprise_id == enterprise.pk


def _allow(user, enterprise):
    if not keeps_profile(user, enterprise):
        raise PermissionDenied(_("您无权修改该企业的信息。"))


def _locked(enterprise):
    return Enterprise.objects.select_for_update().get(pk=enterprise.pk)


def update_profile(
    enterprise, *, acting_user, size=None, qualifications=None, address=None, at=None
):
    """The enterprise updates its size, qualifications (codes) or address; None leaves one as it is."""
    _allow(acting_user, enterprise)
    errors = {}
    if size is not None and size not in Enterprise.Size.values:
        errors["size"] = [_("企业规模 %(value)s 无效。") % {"value": size}]
    found = []
    if qualifications is not None:
        codes = list(dict.fromkeys(qualifications))
        found = list(Qualification.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {q.code for q in found})
        if missing:
            errors["qualifications"] = [
                _("资质 %(codes)s 不存在。") % {"codes": "、".join(missing)}
            ]
    limit = Enterprise._meta.get_field("address").max_length
    if address is not None:
        address = address.strip() if isinstance(address, str) else None
        if address is None or len(address) > limit:
            errors["address"] = [_("地址不能超过 %(limit)d 个字符。") % {"limit": limit}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(enterprise)
        before = snapshot(locked)
        if size is not None:
            locked.size = size
        if address is not None:
            locked.address = address
        locked.save()
        if qualifications is not None:
            locked.qualifications.set(found)
        record_changes(locked, before, actor=acting_user, source=Source.PORTAL, at=at)
    return locked


def save_contact(enterprise, *, acting_user, contact=None, at=None, **fields):
    """Add a contact (``contact`` None) or change one of the enterprise's; returns it.

    ``fields``: name, title, phone, email, is_primary. A new primary contact
    takes the mark from the one before.
    """
    _allow(acting_user, enterprise)
    unknown = set(fields) - {"name", "title", "phone", "email", "is_primary"}
    if unknown:
        raise TypeError(f"unknown contact fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = _locked(enterprise)
        before = snapshot(locked)
        if contact is not None and contact.enterprise_id != locked.pk:
            raise PermissionDenied(_("您无权修改该联系人。"))
        row = contact or Contact(enterprise=locked)
        for name, value in fields.items():
            setattr(row, name, value.strip() if isinstance(value, str) else value)
        row.is_primary = bool(row.is_primary)
        if row.is_primary:  # (undone with the transaction when the contact is refused)
            locked.contacts.exclude(pk=row.pk).filter(is_primary=True).update(is_primary=False)
        row.full_clean()
        row.save()
        record_changes(locked, before, actor=acting_user, source=Source.PORTAL, at=at)
    return row


def remove_contact(contact, *, acting_user, at=None):
    enterprise = contact.enterprise
    _allow(acting_user, enterprise)
    with transaction.atomic():
        locked = _locked(enterprise)
        before = snapshot(locked)
        Contact.objects.filter(pk=contact.pk, enterprise=locked).delete()
        record_changes(locked, before, actor=acting_user, source=Source.PORTAL, at=at)
