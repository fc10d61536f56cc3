"""The enterprise portal's policies: 我的政策 (what was pushed, what the enterprise is eligible
for) and the policy calculator (eligible policies ranked, and near misses with what is lacking).

Thin pages: the pushes come from ``access.visible_pushes``, the eligible policies and near
misses from ``matching.calculate``, opening a push goes through ``actions.mark_push_read``.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.core.pages import paginate
from qitong.orgs import scope
from qitong.policies import actions, matching
from qitong.policies.access import visible_pushes
from qitong.policies.forms_portal import ReadFilter

# The calculator lists the best-ranked this many of each kind and counts the rest.
SHOWN = 100
TABS = {"pushed": gettext_lazy("推送给我的"), "eligible": gettext_lazy("我可享受的")}


def _enterprise_user(request):
    scope.require_role(request.user, scope.Role.ENTERPRISE)
    return request.user


@login_required
def mine(request):
    """我的政策: the pushes (unread in bold, filter read/unread) or the eligible policies."""
    user = _enterprise_user(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "pushed"
    pushes = visible_pushes(user)
    counts = pushes.aggregate(
        pushed=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True))
    )
    fits = matching.eligible(user.enterprise)
    counts["eligible"] = len(fits)
    if tab == "pushed":
        form = ReadFilter(request.GET or None)
        context = paginate(
            request, form.apply(pushes).select_related("policy").defer("policy__body")
        )
    else:
        form = None
        context = paginate(request, fits)
        matching.mark_pushed(context["page"].object_list, pushes)
    context.update(
        title=_("我的政策"),
        tab=tab,
        form=form,
        cards=[
            ("pushed", TABS["pushed"], counts["pushed"], "", "?tab=pushed"),
            ("unread", _("未读推送"), counts["unread"], "warning", "?tab=pushed&read=unread"),
            ("eligible", TABS["eligible"], counts["eligible"], "success", "?tab=eligible"),
        ],
        current_card="unread" if tab == "pushed" and request.GET.get("read") == "unread" else tab,
    )
    return render(request, "policies/portal_mine.html", context)


@login_required
def calculator(request):
    """政策计算器: the policies the enterprise's profile fits, ranked, and the near misses."""
    user = _enterprise_user(request)
    enterprise = user.enterprise
    result = matching.calculate(enterprise)
    eligible, near = result.eligible[:SHOWN], result.near_misses[:SHOWN]
    matching.mark_pushed(eligible + near, visible_pushes(user))
    context = {
        "title": _("政策计算器"),
        "enterprise": enterprise,
        "qualifications": list(enterprise.qualifications.all()),
        "eligible": eligible,
        "eligible_count": len(result.eligible),
        "near_misses": near,
        "near_count": len(result.near_misses),
        "shown": SHOWN,
    }
    return render(request, "policies/portal_calculator.html", context)


@login_required
def open_push(request, push_id):
    """A pushed policy opened from the list, the inbox or the digest: marked read, then shown."""
    push = actions.mark_push_read(request.user, push_id)
    return redirect("policy-detail", push.policy_id)
