"""Who sees and uses the dispatch suggestions: the service offices, on the cases they may see.

Units, leaders and enterprises are refused (403) before any case is looked
up; an office asking for a case it may not see gets 404
(``appeals.access.access_appeal_for_user``).
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
    """The cases a new one is compared with: what the office may see."""
    return visible_appeals(user).exclude(status=Appeal.Status.REJECTED)
