"""Changes to where messages go: a user's channel choices and a unit's WeCom group robot.

The settings page (``/inbox/channels/``) and the admin call these; the outbox reads
the rows when it writes a message (``outbox._Planner``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.core import clock
from qitong.notify.models import Channel, ChannelChoice, Robot, validate_robot_url
from qitong.orgs import scope

# The kinds of message a user may route apart from the rest, as the settings page lists
# them; any other kind follows the user's row for every kind. A kind no longer sent is
# taken off the list (``RETIRED``): its old rows stay, readable in the admin, and route
# nothing, since no message of that kind is written any more.
KINDS = {
    "dispatch": gettext_lazy("诉求交办"),
    "return": gettext_lazy("诉求退回"),
    "submit": gettext_lazy("新诉求待受理"),
    "reject": gettext_lazy("诉求不予受理"),
    "reply": gettext_lazy("诉求答复"),
    "resolve": gettext_lazy("诉求办结"),
    "extend": gettext_lazy("延期申请"),
    "extension": gettext_lazy("延期审批结果"),
    "approve": gettext_lazy("审核通过"),
    "redo": gettext_lazy("诉求重办"),
    "unsatisfied": gettext_lazy("不满意评价"),
    "urge": gettext_lazy("催办"),
    "escalate": gettext_lazy("升级督办"),
    "policy_push": gettext_lazy("政策推送"),
    "policy_digest": gettext_lazy("政策每日摘要"),
    "project_warning": gettext_lazy("重点项目预警"),
    "project_digest": gettext_lazy("重点项目月度摘要"),
    "bulletin": gettext_lazy("考核通报"),
    "export_ready": gettext_lazy("导出完成"),
}
# Sent before visits' difficulties and projects' problems became appeals at once
# (they now tell the filer's unit as ``*_filed``, and the appeal's own kinds follow).
RETIRED = {
    "project_problem": gettext_lazy("重点项目问题（已停用）"),
    "visit_difficulty": gettext_lazy("走访困难（已停用）"),
}
CHANNELS = tuple(Channel.values)  # inbox, email, sms, wecom


def may_choose_for(acting_user, user):
    """A user keeps their own choices; an admin those of anyone."""
    return acting_user.is_authenticated and (
        acting_user.pk == user.pk or scope.has_role(acting_user, scope.Role.ADMIN)
    )


def set_channels(user, choices, *, acting_user):
    """Set ``user``'s channels: ``choices`` maps a kind ("" for every other kind) to the set
    of channels it takes, or to None to follow the row for every kind. Kinds not named
    keep what they have. Returns the user's rows."""
    if not may_choose_for(acting_user, user):
        raise PermissionDenied(_("您无权修改该用户的通知方式。"))
    errors = {}
    for kind, channels in choices.items():
        if kind and kind not in KINDS:
            errors.setdefault("kind", []).append(_("消息类型 %(kind)s 不存在。") % {"kind": kind})
        elif channels is not None:
            unknown = set(channels) - set(CHANNELS)
            if unknown:
                errors.setdefault("channels", []).append(
                    _("通知方式 %(names)s 不存在。") % {"names": "、".join(sorted(unknown))}
                )
            elif not channels:
                label = KINDS[kind] if kind else _("全部消息")
                errors.setdefault("channels", []).append(
                    _("“%(kind)s”至少应选择一种通知方式。") % {"kind": label}
                )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, channels in choices.items():
            if channels is None:
                if kind:
                    ChannelChoice.objects.filter(user=user, kind=kind).delete()
                continue
            ChannelChoice.objects.update_or_create(
                user=user, kind=kind, defaults={name: name in channels for name in CHANNELS}
            )
    return list(ChannelChoice.objects.filter(user=user))


def channels_of(user):
    """``{kind: set of channels}`` of ``user``'s rows, with "" always present."""
    rows = {
        row.kind: {name for name in CHANNELS if getattr(row, name)}
        for row in ChannelChoice.objects.filter(user=user)
    }
    rows.setdefault("", {name for name, on in ChannelChoice.DEFAULTS.items() if on})
    return rows


def may_set_robot(acting_user, unit):
    """A unit's own staff (office, unit or leader users of it) and admins set its robot."""
    if scope.has_role(acting_user, scope.Role.ADMIN):
        return True
    return scope.has_role(acting_user, *scope.UNIT_ROLES) and acting_user.unit_id == unit.pk


def set_robot(unit, url, *, acting_user):
    """Set ``unit``'s WeCom group robot to ``url``; an empty one removes it. Returns the
    robot, or None."""
    if not may_set_robot(acting_user, unit):
        raise PermissionDenied(_("您无权设置该单位的群机器人。"))
    url = (url or "").strip()
    with transaction.atomic():
        if not url:
            Robot.objects.filter(unit=unit).delete()
            return None
        if len(url) > Robot._meta.get_field("url").max_length:
            raise ValidationError({"url": [_("群机器人地址过长。")]})
        validate_robot_url(url)
        robot, _created = Robot.objects.update_or_create(
            unit=unit,
            defaults={"url": url, "updated_at": clock.now(), "updated_by": acting_user},
        )
    return robot
