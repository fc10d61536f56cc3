"""What a page tells its user after a form: why an action was refused, and where to go back.

One home for the wording every app's pages use (appeals, dispatch, enterprises,
visits, projects, Open311): a refusal is one line of Chinese, whatever raised it.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from qitong.core.errors import Conflict

REFUSED = (ValidationError, Conflict, PermissionDenied)


def refusal(exc, labels=None, *, forbidden=None):
    """A refused action's reason in one line of Chinese: a conflict, a right, or bad input.

    A right refused says the action's own words when it gave some (``PermissionDenied``
    raised with a message), else ``forbidden``, else a general line. Bad input names its
    field by the label the form shows (``labels``: field name → label, e.g. an action's
    ``labels``), as in "理由：不能为空。"; ``exc`` may also be DRF serializer errors
    (``{field: [messages]}``).
    """
    if isinstance(exc, Conflict):
        return exc.message
    if isinstance(exc, PermissionDenied):
        return str(exc) or forbidden or _("您无权执行此操作。")
    if isinstance(exc, ValidationError) and not hasattr(exc, "error_dict"):
        return _("；").join(exc.messages)
    by_field = exc.message_dict if isinstance(exc, ValidationError) else exc
    labels = labels or {}
    return _("；").join(
        _("%(field)s：%(message)s") % {"field": labels[field], "message": message}
        if field in labels
        else str(message)
        for field, found in by_field.items()
        for message in found
    )


def back(request, fallback, *args, **kwargs):
    """To the page the form came from (``next``, same host only), else ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback, *args, **kwargs)


def attempt(request, run, success, labels=None):
    """Run an action; flash ``success`` or the reason it was refused. Returns whether it ran."""
    try:
        run()
    except REFUSED as exc:
        messages.error(request, refusal(exc, labels))
        return False
    messages.success(request, success)
    return True
