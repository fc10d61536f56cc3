"""Who sees and uses the dispatch help.

The triage screen's suggestions: the service offices, on the cases they may
see. Units, leaders and enterprises are refused (403) before any case is
looked up; an office asking for a case it may not see gets 404
(``appeals.access.access_appeal_for_user``). The API's suggestions and similar
cases: staff (offices, units, leaders, admins), on the cases they may see.
The similar cases at intake: whoever files (an enterprise, among its own
cases; an office or admin, among the cases in its scope).
"""

from qitong.appeals.access import access_appeal_for_user, visible_appeals
from qitong.appeals.models import Appeal
from qitong.orgs import scope
from qitong.orgs.models import Unit


def require_office(user):
    scope.require_role(user, scope.Role.OFFICE)


def require_hot_topics(user):
    """The week's hot topics: the offices, and the leaders and admins of the cockpit."""
    scope.require_role(user, scope.Role.OFFICE, scope.Role.LEADER, scope.Role.ADMIN)


def require_filer(user):
    """Who files appeals on a page (``appeals.actions.file_appeal``): enterprises, offices, admins."""
    scope.require_role(user, scope.Role.ENTERPRISE, scope.Role.OFFICE, scope.Role.ADMIN)


def staff_appeal(user, appeal_id):
    """The appeal for staff who may see it (the API): 403 for enterprises, 404 for others' cases."""
    scope.require_role(
        user, scope.Role.OFFICE, scope.Role.UNIT, scope.Role.LEADER, scope.Role.ADMIN
    )
    return access_appeal_for_user(user, appeal_id)


def office_appeal(user, appeal_id):
    """The appeal for an office that may see it: 403 for other roles, 404 for others' cases."""
    require_office(user)
    return access_appeal_for_user(user, appeal_id)


def dispatchable_units(appeal):
    """The units a suggestion may name for ``appeal``: what its office dispatches to.

    The handling units within the office's reach (``scope.units_within_q``),
    not offices: handing a case to a district office is the office's own call.
    """
    return (
        scope.handling_units()
        .filter(is_active=True)
        .filter(scope.units_within_q(appeal.office))
        .exclude(kind=Unit.Kind.OFFICE)
    )


def comparable_appeals(user):
    """The cases a new one is compared with: what the user may see (``visible_appeals``:
    an enterprise its own, an office those in its scope), rejected ones left out."""
    return visible_appeals(user).exclude(status=Appeal.Status.REJECTED)
