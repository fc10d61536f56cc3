"""Landing pages: each role has its own home, reached from ``/`` after login."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from qitong.orgs.models import User

HOME_TITLES = {
    User.Role.OFFICE: _("服务企业办公室工作台"),
    User.Role.UNIT: _("承办单位工作台"),
    User.Role.ENTERPRISE: _("企业服务首页"),
    User.Role.LEADER: _("领导驾驶舱"),
}


@login_required
def home(request):
    return redirect(request.user.home_url_name)


def role_home(role):
    """A home page only users of ``role`` may open."""

    @login_required
    def view(request):
        if request.user.role != role:
            raise PermissionDenied
        return render(
            request,
            "orgs/home.html",
            {"scope": _scope(request.user), "title": HOME_TITLES[role]},
        )

    view.__name__ = f"{role}_home"
    return view


def _scope(user):
    if user.role == User.Role.ENTERPRISE:
        return user.enterprise
    return user.unit
