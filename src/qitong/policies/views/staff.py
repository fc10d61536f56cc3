"""The library's keepers at work on one policy: correcting what the crawl or the classifier
got wrong, and handing a field back to the machine.

Thin: the form parses, ``access`` finds the policy (404 for what the user may not
see, 403 for anyone but the keepers), ``actions.correct_policy`` and
``actions.uncorrect_policy`` check and write, and the page says what was done.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from qitong.policies import access, actions
from qitong.policies.forms import CorrectionForm, ListField
from qitong.policies.models import Policy


def _label(name):
    return str(Policy._meta.get_field(name).verbose_name)


@login_required
def correct(request, pk):
    """更正政策: the policy's fields with their current values and which are staff's."""
    if not access.keeps_library(request.user):
        raise PermissionDenied
    policy = access.access_policy_for_user(request.user, pk)
    status = 200
    form = CorrectionForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        changes, handback = form.changed(), form.cleaned_data["handback"]
        try:
            if changes:
                policy = actions.correct_policy(request.user, policy.pk, **changes)
            if handback:
                policy = actions.uncorrect_policy(request.user, policy.pk, handback)
        except ValidationError as exc:
            for name, found in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, found)
            messages.error(request, _("更正未保存，请按提示修改。"))
            status = 400
        else:
            done = []
            if changes:
                done.append(
                    _("已更正：%(fields)s。") % {"fields": _("、").join(map(_label, changes))}
                )
            if handback:
                done.append(
                    _("已交还机器重新识别：%(fields)s。")
                    % {"fields": _("、").join(map(_label, handback))}
                )
            messages.success(request, "".join(done) or _("没有改动。"))
            return redirect("policy-correct", pk=policy.pk)
    corrected = set(policy.corrected)
    shown = {  # what a code stands for, beside its box
        "region": str(policy.region or ""),
        "regions": "、".join(region.name for region in policy.regions.order_by("code")),
        "interprets": policy.interprets.title if policy.interprets_id else "",
    }
    context = {
        "title": _("更正政策"),
        "policy": policy,
        "form": form,
        "rows": [
            {
                "field": form[name],
                "group": isinstance(form.fields[name], ListField),
                "corrected": name in corrected,
                "origin": _("取自网页") if name in actions.READ_FROM_PAGE else _("机器识别"),
                "shown": shown.get(name, ""),
            }
            for name in actions.CORRECTABLE
        ],
        "corrected": [_label(name) for name in actions.CORRECTABLE if name in corrected],
    }
    return render(request, "policies/correct.html", context, status=status)
