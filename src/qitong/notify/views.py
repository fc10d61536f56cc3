"""The inbox page: the user's own messages, and marking one read; where messages go."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qitong.notify import actions, outbox
from qitong.notify.access import access_message_for_user, messages_for_user

PAGE_SIZE = 20


@login_required
def inbox(request):
    page = Paginator(messages_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "title": _("站内消息")})


@login_required
def channels(request):
    """通知方式: which channels each kind of message takes, and the unit's group robot.

    The form posts one checkbox per kind and channel (``<kind>:<channel>``, kind "all"
    for every other kind) and ``own:<kind>`` for a kind routed apart from the rest.
    """
    user = request.user
    unit = user.unit if user.unit_id and actions.may_set_robot(user, user.unit) else None
    errors = {}
    if request.method == "POST":
        posted = set(request.POST)
        choices = {"": {c for c in actions.CHANNELS if f"all:{c}" in posted}}
        for kind in actions.KINDS:
            own = f"own:{kind}" in posted
            choices[kind] = (
                {c for c in actions.CHANNELS if f"{kind}:{c}" in posted} if own else None
            )
        try:
            with transaction.atomic():  # both or neither
                actions.set_channels(user, choices, acting_user=user)
                if unit is not None and "robot" in request.POST:
                    actions.set_robot(unit, request.POST["robot"], acting_user=user)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("通知方式已保存。"))
            return redirect("inbox-channels")
    chosen = actions.channels_of(user)
    rows = [
        {"kind": "all", "label": _("全部消息（默认）"), "own": True, "channels": chosen[""]}
    ] + [
        {
            "kind": kind,
            "label": label,
            "own": kind in chosen,
            "channels": chosen.get(kind, chosen[""]),
        }
        for kind, label in actions.KINDS.items()
    ]
    robot = getattr(unit, "wecom_robot", None) if unit is not None else None
    context = {
        "title": _("通知方式"),
        "rows": rows,
        "channels": [(name, label) for name, label in actions.Channel.choices],
        "errors": [message for values in errors.values() for message in values],
        "unit": unit,
        "robot_url": request.POST.get("robot", robot.url if robot else "")
        if errors
        else (robot.url if robot else ""),
        "has_phone": bool(user.phone),
        "has_email": bool(user.email),
        "sms_enabled": outbox.sms_enabled(),
    }
    return render(request, "notify/channels.html", context, status=400 if errors else 200)


@login_required
@require_POST
def mark_read(request, message_id):
    outbox.mark_read(access_message_for_user(request.user, message_id))
    target = reverse("inbox")
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}" if page.isdigit() else target)
