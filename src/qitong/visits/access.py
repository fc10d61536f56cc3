"""Who sees and does what with pairings, visits and batches: the only road from a request.

Built on ``qitong.orgs.scope``:
- whoever ``sees_all`` (the city service office, leaders, admins) sees every
  enterprise's pairings and visits;
- a district service office sees the enterprises of its district: those in its
  district's division, and those paired with a unit of its district;
- a unit (a department, a district government, a town) sees the enterprises it
  is paired with now, and the visits it made;
- an enterprise sees its own pairers and the visits made to it.
Anything else is 404, never 403.
"""

from django.db.models import Q
from django.http import Http404

from qitong.enterprises.models import Enterprise
from qitong.orgs import scope
from qitong.orgs.models import Unit
from qitong.visits.models import Batch, Difficulty, Pairing, Visit

Role = scope.Role


def active_pairings():
    return Pairing.objects.filter(ended_at__isnull=True)


def _district_q(office_unit):
    """The enterprises of a district office's district, as a condition on enterprises."""
    units = Unit.objects.filter(scope.units_within_q(office_unit)).values("pk")
    condition = Q(pk__in=active_pairings().filter(unit__in=units).values("enterprise_id"))
    district = office_unit.parent
    if district is not None and district.region_id is not None:
        condition |= Q(region__code__startswith=district.region.code)
    return condition


def enterprises_in_scope(user):
    """The enterprises whose file, pairings and visits ``user`` may see, as a queryset."""
    enterprises = Enterprise.objects.all()
    if scope.sees_all(user):
        return enterprises
    if scope.has_role(user, Role.ENTERPRISE):
        return enterprises.filter(pk=user.enterprise_id)
    if scope.has_role(user, Role.OFFICE):
        return enterprises.filter(_district_q(user.unit))
    if scope.has_role(user, Role.UNIT):
        return enterprises.filter(
            pk__in=active_pairings().filter(unit_id=user.unit_id).values("enterprise_id")
        )
    return enterprises.none()


def access_enterprise_for_user(user, enterprise_id):
    """The enterprise if ``user`` may see its file; otherwise ``Http404``."""
    try:
        return enterprises_in_scope(user).select_related("region").get(pk=int(enterprise_id))
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_pairings(user):
    """Every pairing ``user`` may see (ended ones included): the start of every list."""
    pairings = Pairing.objects.all()
    if scope.sees_all(user):
        return pairings
    if scope.has_role(user, Role.UNIT):
        return pairings.filter(unit_id=user.unit_id)
    return pairings.filter(enterprise__in=enterprises_in_scope(user).values("pk"))


def my_pairings(user):
    """The pairings ``user`` owes a rhythm for now: a leader's own, a unit's staff their unit's."""
    if scope.has_role(user, Role.LEADER):
        return active_pairings().filter(leader_id=user.pk)
    if scope.has_role(user, Role.UNIT):
        return active_pairings().filter(unit_id=user.unit_id)
    return Pairing.objects.none()


def visible_visits(user):
    """Every visit ``user`` may see: the start of every list, page and export."""
    visits = Visit.objects.all()
    if scope.sees_all(user):
        return visits
    if scope.has_role(user, Role.ENTERPRISE):
        return visits.filter(enterprise_id=user.enterprise_id, state=Visit.State.DONE)
    if scope.has_role(user, Role.UNIT):
        return visits.filter(
            Q(unit_id=user.unit_id) | Q(enterprise__in=enterprises_in_scope(user).values("pk"))
        )
    if scope.has_role(user, Role.OFFICE):
        return visits.filter(enterprise__in=enterprises_in_scope(user).values("pk"))
    return visits.none()


def access_visit_for_user(user, visit_id):
    """The visit if ``user`` may see it; otherwise ``Http404``."""
    try:
        return (
            visible_visits(user)
            .select_related("enterprise", "visitor", "unit", "batch", "pairing")
            .get(pk=int(visit_id))
        )
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_batches(user):
    """Visit batches are a campaign of the whole government: every officer sees them."""
    return Batch.objects.all() if scope.is_officer(user) else Batch.objects.none()


def access_batch_for_user(user, batch_id):
    try:
        return visible_batches(user).get(pk=int(batch_id))
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def in_scope(user, enterprise):
    return enterprises_in_scope(user).filter(pk=enterprise.pk).exists()


def keeps_pairings(user, enterprise):
    """The service offices pair enterprises (a district office within its district)."""
    return scope.has_role(user, Role.OFFICE) and in_scope(user, enterprise)


def pairs(user, pairing):
    """Whether ``user`` is the pairer (the leader in person, or staff of the paired unit)."""
    if pairing.leader_id is not None:
        return scope.has_role(user, Role.LEADER) and user.pk == pairing.leader_id
    return scope.has_role(user, Role.UNIT) and user.unit_id == pairing.unit_id


def offices_for(enterprise):
    """The service offices whose scope holds ``enterprise``: the city's, and its district's
    (by the district's division, or a unit of the district paired with it) — the mirror of
    ``enterprises_in_scope`` for offices."""
    paired = active_pairings().filter(enterprise_id=enterprise.pk, unit__isnull=False)
    districts = set()
    for unit_id, parent_id in paired.values_list("unit_id", "unit__parent_id"):
        districts.update({unit_id, parent_id})
    condition = Q(parent__isnull=True) | Q(parent_id__in=districts - {None})
    if enterprise.region_id is not None:
        code = enterprise.region.code
        prefixes = {code[:n] for n in range(2, len(code) + 1)}
        condition |= Q(parent__region__code__in=prefixes)
    return Unit.objects.filter(condition, kind=Unit.Kind.OFFICE, is_active=True)


def pairing_of(user, enterprise):
    """The user's own active pairing with ``enterprise``, if any."""
    return my_pairings(user).filter(enterprise_id=enterprise.pk).first()


def may_visit(user, enterprise):
    """A pairer of the enterprise, or a service office within whose scope it is."""
    if scope.has_role(user, Role.LEADER, Role.UNIT):
        return pairing_of(user, enterprise) is not None
    return scope.has_role(user, Role.OFFICE) and in_scope(user, enterprise)


def may_reveal_contacts(user, enterprise):
    """Who needs an enterprise's contact phones (shown masked in its file): its pairers and
    the service offices within whose scope it is, as for visiting it (``may_visit``). They
    reveal one with a reason (``audit.reveal``); the enterprise sees its own in full."""
    return may_visit(user, enterprise)


def files_difficulty(user, difficulty):
    """The service office whose scope holds the enterprise files its visits' difficulties."""
    return scope.has_role(user, Role.OFFICE) and in_scope(user, difficulty.enterprise)


def keeps_batches(user):
    """The service offices run visit batches."""
    return scope.has_role(user, Role.OFFICE)


def pending_difficulties(user):
    """The difficulties waiting for ``user``'s office to file them."""
    if not scope.has_role(user, Role.OFFICE):
        return Difficulty.objects.none()
    return Difficulty.objects.filter(
        state=Difficulty.State.PENDING,
        enterprise__in=enterprises_in_scope(user).values("pk"),
    )
