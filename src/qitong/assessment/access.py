"""Who sees which units' scores and which bulletins: the assessment's one home of visibility
rules, built on ``orgs.scope``.

- Scores: whoever sees all (the city office, leaders, admins) every assessed
  unit; a district office the units of its district (``scope.units_within_q``);
  a unit its own score and rank only; an enterprise nothing (403).
- The city office and admins set the weights and build and publish the
  bulletins (``manages``).
- Bulletins: government staff who read scores see every bulletin; a unit's
  staff the published ones (a bulletin is published to every unit).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from qitong.assessment.models import Bulletin
from qitong.orgs import scope
from qitong.orgs.models import Unit

Role = scope.Role


def assessed_units():
    """The units scored and ranked: every active unit that handles cases, but the service
    offices, which do the assessing (and leaders, who handle only escalations)."""
    return scope.handling_units().filter(is_active=True).exclude(kind=Unit.Kind.OFFICE)


def visible_units(user):
    """The assessed units whose scores ``user`` may read, by code; ``PermissionDenied`` for
    anyone who may read none (enterprises)."""
    return assessed_units().filter(pk__in=scope.units_in_scope(user).values("pk")).order_by("code")


def access_unit_for_user(user, code):
    """The one road from a request to a unit's score: 404 for a unit ``user`` may not read."""
    try:
        return visible_units(user).get(code=code)
    except Unit.DoesNotExist:
        raise Http404 from None


def manages(user):
    """The city service office and admins: they set the weights and publish the bulletins."""
    return scope.has_role(user, Role.ADMIN) or (
        scope.has_role(user, Role.OFFICE) and scope.is_city_office(user.unit)
    )


def require_manager(user):
    if not manages(user):
        raise PermissionDenied


def visible_bulletins(user):
    """The bulletins ``user`` may read: all for staff who read others' scores, the published
    ones for a unit's staff; ``PermissionDenied`` for anyone else."""
    if scope.has_role(user, Role.OFFICE, Role.LEADER, Role.ADMIN):
        return Bulletin.objects.all()
    if scope.has_role(user, Role.UNIT):
        return Bulletin.objects.filter(published_at__isnull=False)
    raise PermissionDenied


def access_bulletin_for_user(user, month):
    """The bulletin of ``month`` (a date, its first day) if ``user`` may read it; else 404."""
    try:
        return visible_bulletins(user).get(month=month)
    except Bulletin.DoesNotExist:
        raise Http404 from None
