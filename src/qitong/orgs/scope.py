"""Who may see and do what, by role and by unit: the one home of the scope rules.

Every user has one role and one scope (``User``): a unit for the service
offices, units and leaders, an enterprise for enterprise staff. The rules
that follow from those alone live here, and every app asks them instead of
testing roles itself:

- ``sees_all``: leaders, admins and the city service office see the whole
  city (every case, every unit's figures, the cockpit);
- a district service office works within its district: the district
  government and the units under it (``units_within``, ``within``);
- ``require_role`` is the gate of a role's workbench and API.

What a user may see of one kind of object (an appeal, a message) is decided
by that kind's own ``access`` module, which starts from these rules.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from qitong.orgs.models import Unit, User

Role = User.Role
# The roles scoped to a unit, and what each role's scope is.
UNIT_ROLES = (Role.OFFICE, Role.UNIT, Role.LEADER)


def is_city_office(unit):
    """The city's service office: an office with no parent unit."""
    return unit is not None and unit.kind == Unit.Kind.OFFICE and unit.parent_id is None


def has_role(user, *roles):
    """An active, signed-in user of one of ``roles``, with the scope that role needs."""
    if not user.is_authenticated or not user.is_active or user.role not in roles:
        return False
    if user.role == Role.ENTERPRISE:
        return user.enterprise_id is not None
    if user.role in UNIT_ROLES:
        return user.unit_id is not None
    return True


def require_role(user, *roles):
    """``PermissionDenied`` unless ``has_role``: the gate of each role's pages and endpoints."""
    if not has_role(user, *roles):
        raise PermissionDenied


def sees_all(user):
    """Leaders, admins and the city service office see the whole city."""
    return has_role(user, Role.LEADER, Role.ADMIN) or (
        has_role(user, Role.OFFICE) and is_city_office(user.unit)
    )


def is_officer(user):
    """Government staff: everyone but enterprise users (the ledger is their record)."""
    return has_role(user, Role.OFFICE, Role.UNIT, Role.LEADER, Role.ADMIN)


def units_within_q(office):
    """The units ``office`` works with, as a condition on units.

    The city office: every unit. A district office: its district government
    and the units under it (its own departments, towns and the office itself).
    """
    if is_city_office(office):
        return Q()
    return Q(pk=office.parent_id) | Q(parent_id=office.parent_id)


def within(office, unit):
    """Whether ``unit`` is one ``office`` may dispatch to or oversee (``units_within_q``)."""
    if is_city_office(office):
        return True
    return unit.pk == office.parent_id or unit.parent_id == office.parent_id


def handling_units():
    """The units that handle cases: every kind but leaders (who receive escalations)."""
    return Unit.objects.exclude(kind=Unit.Kind.LEADER)


def units_in_scope(user):
    """The handling units whose work ``user`` may read (figures, filters), by code.

    Whoever sees all: every unit; a district office: the units of its
    district; a unit: itself; anyone else: ``PermissionDenied``.
    """
    units = handling_units().order_by("code")
    if sees_all(user):
        return units
    if has_role(user, Role.OFFICE):
        return units.filter(units_within_q(user.unit))
    if has_role(user, Role.UNIT):
        return units.filter(pk=user.unit_id)
    raise PermissionDenied
