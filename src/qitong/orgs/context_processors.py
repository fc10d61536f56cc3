"""The left menu, by role."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qitong.orgs.models import User

MENUS = {
    User.Role.OFFICE: [(_("工作台"), "office-home")],
    User.Role.UNIT: [(_("工作台"), "unit-home")],
    User.Role.ENTERPRISE: [(_("首页"), "enterprise-home")],
    User.Role.LEADER: [(_("领导驾驶舱"), "leader-home")],
    User.Role.ADMIN: [(_("系统管理"), "admin:index")],
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [(label, reverse(name)) for label, name in MENUS.get(user.role, [])]
    return {"menu": items, "role_label": user.get_role_display()}
