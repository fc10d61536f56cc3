"""One file per enterprise (一企一档): everything the platform knows of it, on one page.

It assembles across apps, each read through that app's own visibility rules,
so an officer sees of the file only what they may see elsewhere: the
enterprise through ``visits.access`` (an office within its scope, the paired
units and towns their enterprises, whoever sees all every one, the enterprise
itself), its appeals through ``appeals.access.visible_appeals``, its projects
through ``projects.access.visible_projects``, its visits and pairings through
``visits.access``. A section for something the platform does not hold for it
(projects, say) is left out.
"""

from django.db.models import Prefetch

from qitong.appeals.access import visible_appeals
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.enterprises import actions as enterprise_actions
from qitong.orgs import scope
from qitong.policies import matching
from qitong.policies.access import visible_policies
from qitong.policies.models import Push
from qitong.projects.access import visible_projects
from qitong.visits import access as visit_access
from qitong.visits import rhythm
from qitong.visits.models import Difficulty, Visit

SHOWN = 50  # rows of each list on the page


def access_dossier(user, enterprise_id):
    """The enterprise whose file ``user`` may read; ``Http404`` otherwise."""
    return visit_access.access_enterprise_for_user(user, enterprise_id)


def _history(enterprise):
    changes = list(enterprise.changes.select_related("actor")[:SHOWN])
    for change in changes:
        change.label = enterprise_actions.field_label(change.field)
    return changes


def _pushes(user, enterprise):
    pushes = Push.objects.filter(enterprise=enterprise, policy__in=visible_policies(user))
    return pushes.select_related("policy").order_by("-pushed_at")[:SHOWN]


def _eligible(user, enterprise, at):
    """The open policies ``enterprise`` fits today (the calculator's list), of those ``user``
    may see, with the conditions each matched."""
    fits = matching.eligible(enterprise, today=clock.local(at).date())
    shown = set(
        visible_policies(user)
        .filter(pk__in=[fit.policy.pk for fit in fits])
        .values_list("pk", flat=True)
    )
    return [fit for fit in fits if fit.policy.pk in shown][:SHOWN]


def assemble(user, enterprise, at):
    """Every section of the file of ``enterprise`` as ``user`` may see it, judged at ``at``."""
    officer = scope.is_officer(user)
    pairings = visit_access.visible_pairings(user).filter(enterprise=enterprise)
    visits = (
        visit_access.visible_visits(user)
        .filter(enterprise=enterprise)
        .exclude(state=Visit.State.CANCELLED)
        .select_related("visitor", "unit", "batch")
        .prefetch_related(Prefetch("difficulties", Difficulty.objects.select_related("appeal")))
        .order_by("-visited_at", "-planned_on", "-pk")[:SHOWN]
    )
    appeals = (
        visible_appeals(user)
        .filter(enterprise=enterprise)
        .select_related("lead_unit")
        .order_by("-created_at", "-pk")
    )
    projects = (
        visible_projects(user).filter(enterprise=enterprise).select_related("district", "unit")
        if officer
        else None
    )
    sections = {
        "enterprise": enterprise,
        "qualifications": list(enterprise.qualifications.all()),
        "contacts": list(enterprise.contacts.all()),
        "history": _history(enterprise),
        "pairings": rhythm.with_owed(
            pairings.select_related("unit", "leader").order_by("ended_at", "kind", "pk"), at
        ),
        "visits": list(visits),
        "appeals": list(appeals[:SHOWN]),
        "appeals_open": appeals.filter(status__in=Appeal.OPEN_STATES).count(),
        "appeals_total": appeals.count(),
        "pushes": list(_pushes(user, enterprise)),
        "eligible": _eligible(user, enterprise, at),
        "projects": list(projects) if projects is not None else [],
    }
    return sections
