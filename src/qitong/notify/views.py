"""The inbox page: the user's own messages, and marking one read."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.notify import outbox
from qitong.notify.access import access_message_for_user, messages_for_user

PAGE_SIZE = 20


@login_required
def inbox(request):
    page = Paginator(messages_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "title": _("站内消息")})


@login_required
@require_POST
def mark_read(request, message_id):
    outbox.mark_read(access_message_for_user(request.user, message_id))
    target = reverse("inbox")
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}" if page.isdigit() else target)
