"""The enterprise's Open311 choice on its case page: make its appeal public, or not.

The section is a panel of the shared case page (``appeals.views.detail.PANELS``,
registered in ``apps.py``); its form posts to ``publish``, which calls
``actions.set_public``, as ``POST /api/v1/open311/publications`` does.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.appeals.access import access_appeal_for_user, is_owner
from qitong.integrations import actions
from qitong.integrations.models import Publication


def panel(request, appeal):
    """The case page's section for the appeal's own enterprise; nothing for anyone else."""
    if not is_owner(request.user, appeal):
        return None
    return {
        "template": "integrations/publication_panel.html",
        "public": Publication.objects.filter(appeal=appeal).exists(),
    }


@login_required
@require_POST
def publish(request, pk):
    appeal = access_appeal_for_user(request.user, pk)
    wanted = request.POST.get("public", "")
    if wanted not in ("0", "1"):
        messages.error(request, _("公开：应为 1（公开）或 0（不公开）。"))
        return redirect("appeal-detail", pk=appeal.pk)
    try:
        public = actions.set_public(appeal, acting_user=request.user, public=wanted == "1")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已公开：任何人可通过 Open311 查看该诉求的进展（不含联系人和附件）。")
            if public
            else _("已取消公开。"),
        )
    return redirect("appeal-detail", pk=appeal.pk)
