"""The office's dispatch help: the suggestions fragment of the triage screen, one-click
dispatch and category, duplicate links, the similar cases at intake, and the week's hot topics.

Thin: parse → access (``access.office_appeal``: 403 for every role but the
offices, 404 for a case the office may not see; at intake ``access.require_filer``
and the filer's own scope) → action → render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qitong.appeals import actions as appeal_actions
from qitong.core import clock
from qitong.core.feedback import REFUSED, refusal
from qitong.dispatch import access, actions, duplicates, suggest
from qitong.dispatch.models import DuplicateLink
from qitong.orgs import scope


def suggestion_context(appeal, user):
    """What the fragment shows: units and categories with confidence, similar cases, links."""
    at = clock.now()
    available = appeal_actions.available_actions(user, appeal)
    can_dispatch = "dispatch" in available
    source, units, categories = suggest.suggest(appeal, access.dispatchable_units(appeal))
    if can_dispatch or "recategorize" in available:
        actions.remember(appeal, source, units, categories, at=at)
    similar = duplicates.similar_appeals(
        appeal.title,
        appeal.content,
        access.comparable_appeals(user),
        at=at,
        exclude=appeal.pk,
    )
    link = DuplicateLink.objects.filter(appeal=appeal).select_related("primary").first()
    return {
        "appeal": appeal,
        "source": source,
        "units": units,
        "categories": categories,
        "can_dispatch": can_dispatch,
        "can_recategorize": "recategorize" in available,
        "similar": [
            {
                "appeal": other,
                "score": score,
                "percent": round(score * 100),
                "likely": duplicates.likely(score),
                "same_enterprise": other.enterprise_id == appeal.enterprise_id,
            }
            for other, score in similar
        ],
        "link": link,
        "duplicates": list(DuplicateLink.objects.filter(primary=appeal).select_related("appeal")),
    }


@login_required
@require_GET
def suggestions(request, pk):
    """The fragment the triage screen loads by htmx."""
    appeal = access.office_appeal(request.user, pk)
    return render(
        request,
        "dispatch/suggestions.html",
        suggestion_context(appeal, request.user),
    )


@login_required
@require_POST
def accept(request, pk):
    """One click on a suggested unit: the case is dispatched to it (transferred handling)."""
    appeal = access.office_appeal(request.user, pk)
    try:
        appeal = actions.accept(
            appeal, acting_user=request.user, lead_unit=request.POST.get("lead_unit", "")
        )
    except REFUSED as exc:
        messages.error(request, refusal(exc, {"lead_unit": _("牵头单位")}))
        return redirect("office-triage", pk=appeal.pk)
    messages.success(
        request,
        _("已派单给 %(unit)s，办结期限 %(due)s。")
        % {
            "unit": appeal.lead_unit,
            "due": f"{clock.local(appeal.resolve_due):%Y-%m-%d %H:%M}",
        },
    )
    return redirect("appeal-detail", pk=appeal.pk)


@login_required
@require_POST
def accept_category(request, pk):
    """One click on a suggested category: the case's category becomes it."""
    appeal = access.office_appeal(request.user, pk)
    try:
        appeal = actions.accept_category(
            appeal, acting_user=request.user, category=request.POST.get("category", "")
        )
    except REFUSED as exc:
        messages.error(request, refusal(exc, {"category": _("分类")}))
    else:
        messages.success(request, _("分类已设为 %(category)s。") % {"category": appeal.category})
    return redirect("office-triage", pk=appeal.pk)


@login_required
@require_POST
def link(request, pk):
    """Link the case as a duplicate of another (``primary``), or undo it (``unlink``)."""
    appeal = access.office_appeal(request.user, pk)
    try:
        if request.POST.get("unlink"):
            actions.unlink_duplicate(appeal, acting_user=request.user)
            messages.success(request, _("已取消重复关联。"))
        else:
            primary = access.office_appeal(request.user, request.POST.get("primary"))
            actions.link_duplicate(appeal, primary, acting_user=request.user)
            messages.success(
                request,
                _("已关联为 %(number)s 的重复诉求，随其办理结果，统计时只计一次。")
                % {"number": primary.number},
            )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc, {"primary": _("主诉求")}))
    return redirect("office-triage", pk=appeal.pk)


@login_required
@require_POST
def intake_similar(request):
    """The filing form's fragment: the filer's open or recent cases most like its title and content.

    POST, since a content may be long; nothing is written. An enterprise is
    shown its own cases only, an office or admin those in its scope.
    """
    access.require_filer(request.user)
    title = request.POST.get("title", "")[: appeal_actions.TITLE_MAX]
    content = request.POST.get("content", "")[: appeal_actions.CONTENT_MAX]
    at = clock.now()
    similar = (
        duplicates.similar_appeals(title, content, access.comparable_appeals(request.user), at=at)
        if (title + content).strip()
        else []
    )
    return render(
        request,
        "dispatch/similar.html",
        {
            "asked": bool((title + content).strip()),
            "staff": not scope.has_role(request.user, scope.Role.ENTERPRISE),
            "similar": [
                {
                    "appeal": other,
                    "percent": round(score * 100),
                    "likely": duplicates.likely(score),
                }
                for other, score in similar
            ],
        },
    )


@login_required
@require_GET
def hot_topics(request):
    """This week's hot topics among the cases the user may see: a page, or the cockpit's part."""
    access.require_hot_topics(request.user)
    topics = duplicates.hot_topics(access.comparable_appeals(request.user), at=clock.now())
    if request.GET.get("fragment"):
        return render(request, "dispatch/hot_topics_list.html", {"topics": topics})
    return render(
        request,
        "dispatch/hot_topics.html",
        {"title": _("本周热点诉求"), "topics": topics},
    )
