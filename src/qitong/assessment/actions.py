"""Every change the assessment makes: the weights set, a month's bulletin built and published.

Each action checks its actor first (403), then the state (409), validates
with Chinese field messages (400) and writes in one transaction; publishing
tells the units through ``notify.outbox`` in that same transaction.
``ACTIONS`` at the end declares each one with its label and its rule.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.assessment import access, bulletins, periods
from qitong.assessment.models import WEIGHT_FIELDS, Bulletin, Weights
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.notify import outbox
from qitong.orgs.models import User

# Who acts when the schedule builds the month's bulletin (``tasks.build_due_bulletin``).
SCHEDULE = "schedule"


def _allow(user, name):
    if not ACTIONS[name].rule(user):
        raise PermissionDenied(_("您无权执行此操作。"))


# --- weights ---------------------------------------------------------------------------


def set_weights(*, acting_user, valid_from, weights, note="", at=None):
    """Set the weights in force from the month ``valid_from`` (a date, its first day) on.

    A month that has a row gets it replaced; a month already begun before the
    running one cannot be set (its periods were scored with the weights then).
    ``weights``: every item's whole number, adding up to 100.
    """
    _allow(acting_user, "set_weights")
    at = at or clock.now()
    missing = [name for name in WEIGHT_FIELDS if name not in weights]
    if missing:
        raise ValidationError({name: [_("请填写该项权重。")] for name in missing})
    with transaction.atomic():
        row = Weights.objects.select_for_update().filter(valid_from=valid_from).first()
        if row is None:
            row = Weights(valid_from=valid_from)
        elif row.locked:
            raise Conflict(_("该月份的权重已用于考核，不能再修改。"), "in_force")
        for name in WEIGHT_FIELDS:
            setattr(row, name, weights[name])
        row.note, row.set_by, row.set_at = note or "", acting_user, at
        row.full_clean(validate_unique=False)
        row.save()
    return row


# --- bulletins -------------------------------------------------------------------------


def _month_date(month):
    return clock.local(month.start).date()


def check_buildable(month, at):
    """A bulletin is of one month, and that month is over (``ValidationError`` on ``month``)."""
    if month.kind != periods.Kind.MONTH:
        raise ValidationError({"month": [_("通报按月生成，请选择月份。")]})
    if month.running(at):
        raise ValidationError(
            {"month": [_("%(month)s尚未结束，不能生成通报。") % {"month": month.label}]}
        )


def build_bulletin(month, *, acting_user, at=None):
    """Make the bulletin of ``month`` (a ``periods.Period`` of one month) and store it.

    Building a month again replaces its files and who built it; who published
    it, and when, stay. The month must be over. The files are made before the
    transaction (a PDF takes seconds), the old ones removed once it commits.
    """
    if acting_user != SCHEDULE:
        _allow(acting_user, "build_bulletin")
    at = at or clock.now()
    check_buildable(month, at)
    pdf, xlsx = bulletins.render(month, at=at)
    pdf_name, xlsx_name = bulletins.file_names(month)
    built_by = None if acting_user == SCHEDULE else acting_user
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().filter(month=_month_date(month)).first()
        old = []
        if bulletin is None:
            bulletin = Bulletin(month=_month_date(month), built_at=at, built_by=built_by, builds=0)
        else:
            old = [bulletin.pdf.name, bulletin.xlsx.name]
        bulletin.pdf.save(pdf_name, ContentFile(pdf), save=False)
        bulletin.xlsx.save(xlsx_name, ContentFile(xlsx), save=False)
        bulletin.built_at, bulletin.built_by = at, built_by
        bulletin.builds += 1
        try:
            bulletin.save()
        except Exception:
            bulletin.pdf.storage.delete(bulletin.pdf.name)
            bulletin.xlsx.storage.delete(bulletin.xlsx.name)
            raise
        storage = bulletin.pdf.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old if name])
    return bulletin


def file_url(bulletin, kind="pdf"):
    return reverse("assessment-bulletin-file", args=[f"{bulletin.month:%Y-%m}", kind])


def publish_bulletin(month, *, acting_user, at=None):
    """Publish the bulletin of ``month`` to every assessed unit: an inbox message (and e-mail)
    to each of their active staff, linking to the PDF. Published once (409 again)."""
    _allow(acting_user, "publish_bulletin")
    at = at or clock.now()
    with transaction.atomic():
        bulletin = (
            access.visible_bulletins(acting_user)
            .select_for_update()
            .filter(month=_month_date(month))
            .first()
        )
        if bulletin is None:
            raise Conflict(_("%(month)s的通报尚未生成。") % {"month": month.label}, "missing")
        if bulletin.published:
            raise Conflict(_("%(month)s的通报已发布。") % {"month": month.label}, "published")
        bulletin.published_at, bulletin.published_by = at, acting_user
        bulletin.save(update_fields=["published_at", "published_by"])
        staff = User.objects.filter(
            is_active=True,
            role=User.Role.UNIT,
            unit__in=access.assessed_units(),
        ).only("id", "email", "unit_id")
        title = bulletins.title(month)
        outbox.enqueue(
            list(staff),
            kind="bulletin",
            subject=_("%(title)s已发布") % {"title": title},
            body=_("服务企业办公室发布了%(title)s，含各单位考核得分与排名，请下载查阅。")
            % {"title": title},
            url=file_url(bulletin),
        )
    return bulletin


# --- the declared list -----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    function: Callable
    rule: Callable  # who may take it


ACTIONS = {
    action.name: action
    for action in (
        Action("set_weights", gettext_lazy("设置考核权重"), set_weights, access.manages),
        Action("build_bulletin", gettext_lazy("生成月度通报"), build_bulletin, access.manages),
        Action("publish_bulletin", gettext_lazy("发布月度通报"), publish_bulletin, access.manages),
    )
}
