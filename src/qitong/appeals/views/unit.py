"""The unit workbench: the cases a department or town handles, by what is due next.

Each tab is one queryset over the appeals the user may see. The next deadline
(the earliest milestone not yet met; a co-unit's own part deadline) is computed
in the database so that ordering and pagination stay right on a large table;
only the rows of the shown page get their working time left on the calendar.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    FilteredRelation,
    Q,
    Value,
)
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from qitong.appeals.access import appeals_led_by_unit, appeals_with_unit_part
from qitong.appeals.deadlines import STEP_WORDS, with_next_deadline, working_days_left
from qitong.appeals.filters import AppealFilter
from qitong.appeals.models import Appeal, Assignment
from qitong.core import clock
from qitong.core.pages import SEARCH_COUNT_LIMIT, paginate
from qitong.core.workdays import WorkCalendar
from qitong.orgs import scope

S = Appeal.Status


class Tab:
    """One tab of the workbench: its label, colour and rows."""

    def __init__(self, key, label, colour=""):
        self.key, self.label, self.colour = key, label, colour


TABS = (
    Tab("sign", _("待签收"), "warning"),
    Tab("doing", _("办理中")),
    Tab("co", _("协办")),
    Tab("done", _("待审核/已办结"), "success"),
    Tab("returned", _("已退回"), "danger"),
)
TAB_KEYS = {tab.key for tab in TABS}


def tab_queryset(key, user):
    """The appeals of one tab for a unit user, annotated with ``next_due`` and ``next_step``.

    Each tab starts from the unit's own parts (``access``): what it leads now,
    or the cases it has another part in.
    """
    unit_id = user.unit_id
    led = appeals_led_by_unit(user)
    if key == "sign":
        return with_next_deadline(led.filter(status=S.DISPATCHED), running_only=False)
    if key == "doing":
        return with_next_deadline(led.filter(status=S.IN_PROGRESS), running_only=False)
    if key == "co":
        return (
            appeals_with_unit_part(user, role=Assignment.Role.CO, active=True)
            .annotate(
                my_part=FilteredRelation(
                    "assignments",
                    condition=Q(
                        assignments__unit_id=unit_id,
                        assignments__role=Assignment.Role.CO,
                        assignments__active=True,
                    ),
                )
            )
            .filter(my_part__isnull=False, my_part__contributed_at__isnull=True)
            .annotate(next_due=F("my_part__due_at"), next_step=Value("co", CharField()))
        )
    if key == "done":
        return led.filter(status__in=Appeal.DONE_STATES).annotate(
            next_due=Value(None, DateTimeField()), next_step=Value("", CharField())
        )
    # Returned: led by the unit once (an inactive lead part), led by another unit or none now.
    return (
        appeals_with_unit_part(user, role=Assignment.Role.LEAD, active=False)
        .exclude(lead_unit_id=unit_id)
        .annotate(next_due=Value(None, DateTimeField()), next_step=Value("", CharField()))
    )


# Within a tab: the next deadline first; cases without one by their latest news.
TIE_BREAKS = {
    "done": ("-resolved_at", "-id"),
    "returned": ("-created_at", "-id"),
}


def _ordered(key, appeals):
    return appeals.order_by(
        F("next_due").asc(nulls_last=True), *TIE_BREAKS.get(key, ("-created_at", "-id"))
    )


@login_required
def workbench(request):
    """我的诉求: tabs with counts, filters, and the chosen tab's cases by next deadline."""
    scope.require_role(request.user, scope.Role.UNIT)
    key = request.GET.get("tab")
    if key not in TAB_KEYS:
        key = "sign"
    counts = {tab.key: tab_queryset(tab.key, request.user).count() for tab in TABS}
    at, calendar = clock.now(), WorkCalendar()
    form = AppealFilter(request.GET or None, user=request.user, surface="unit", at=at)
    appeals = form.apply(tab_queryset(key, request.user)).select_related("enterprise", "category")
    context = paginate(
        request,
        _ordered(key, appeals),
        count_at_most=SEARCH_COUNT_LIMIT if form.searching else None,
    )
    rows = []
    for appeal in context["page"]:
        suspended = appeal.suspended_since is not None and appeal.status in Appeal.HANDLING_STATES
        rows.append(
            {
                "appeal": appeal,
                "step": STEP_WORDS.get(appeal.next_step, ""),
                "suspended": suspended,
                "left": None
                if suspended or appeal.next_due is None
                else working_days_left(appeal.next_due, at, calendar),
            }
        )
    context.update(
        title=_("我的诉求"),
        tabs=[(tab, counts[tab.key]) for tab in TABS],
        tab=key,
        form=form,
        rows=rows,
    )
    return render(request, "appeals/unit/workbench.html", context)
