"""What the appeal pages share: sending the user back, and saying why an action was refused."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from qitong.core.errors import Conflict


def refusal(exc):
    """A refused action's reason in one line of Chinese: a conflict, a right, or bad input."""
    if isinstance(exc, Conflict):
        return exc.message
    if isinstance(exc, PermissionDenied):
        return _("您无权对该诉求执行此操作。")
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return _("；").join(message for field in exc.message_dict.values() for message in field)
    if isinstance(exc, ValidationError):
        return _("；").join(exc.messages)
    # DRF serializer errors: {field: [messages]}
    return _("；").join(str(message) for field in exc.values() for message in field)


def back(request, fallback, *args, **kwargs):
    """To the page the form came from (``next``, same host only), else ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback, *args, **kwargs)


def attempt(request, run, success):
    """Run an action; flash ``success`` or the reason it was refused. Returns whether it ran."""
    try:
        run()
    except (ValidationError, Conflict, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
        return False
    messages.success(request, success)
    return True
