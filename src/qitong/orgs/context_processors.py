"""Every page's left menu: the menu of the user's role (``menus.MENUS``)."""

from django.urls import reverse

from qitong.orgs.menus import MENUS


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [(label, reverse(name)) for label, name in MENUS.get(user.role, [])]
    return {"menu": items, "role_label": user.get_role_display()}
