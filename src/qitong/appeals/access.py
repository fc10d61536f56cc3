"""Who may see and touch which appeal: the only road from a request to an appeal.

Built on the scope rules of ``qitong.orgs.scope``:
- whoever ``sees_all`` (the city service office, leaders, admins) sees every appeal;
- a district service office sees the appeals it was given (now or before);
- a unit sees the appeals dispatched to it as lead or co-unit (now or before);
- an enterprise sees its own.
Anything else is 404, never 403: another enterprise's case must not even be
known to exist.
"""

from django.db.models import Q
from django.http import Http404

from qitong.appeals.models import Appeal, Assignment, Event
from qitong.core import masking
from qitong.orgs.scope import Role, has_role, is_city_office, sees_all

# A unit's parts in a case besides leading it now: a co-unit's, and a lead's before a
# return. A unit's active lead part and the case's lead unit are set and cleared
# together (``actions.dispatch``, ``return_to_office``), so the case's column stands
# for the active lead part and these lists stay short.
OTHER_PARTS = (Q(role=Assignment.Role.CO), Q(role=Assignment.Role.LEAD, active=False))


def visible_appeals(user):
    """Every appeal ``user`` may see, as a queryset: the start of every list, page and export."""
    appeals = Appeal.objects.all()
    if sees_all(user):
        return appeals
    if has_role(user, Role.ENTERPRISE):
        return appeals.filter(enterprise_id=user.enterprise_id)
    if not has_role(user, Role.OFFICE, Role.UNIT):
        return appeals.none()
    if user.role == Role.OFFICE:
        # A case's office changes at most once, from the city office to a district
        # office (``actions._hand_to_district``), so the cases a district office was
        # given are those whose office it is: an indexed column, no list at all.
        return appeals.filter(office_id=user.unit_id)
    # The unit's cases: those it leads now (an indexed column of the appeal), and
    # those it had another part in — one list drawn from the unit's own assignments
    # (indexed), not a lookup per appeal.
    other = Assignment.objects.filter(unit_id=user.unit_id).filter(OTHER_PARTS[0] | OTHER_PARTS[1])
    return appeals.filter(Q(lead_unit_id=user.unit_id) | Q(pk__in=other.values("appeal_id")))


def appeals_led_by_unit(user):
    """The cases the user's unit leads now: visible to it, as its lead part is active.

    For the unit workbench's tabs: an indexed column of the appeal, which both
    databases count from the index alone.
    """
    if not has_role(user, Role.UNIT):
        return Appeal.objects.none()
    return Appeal.objects.filter(lead_unit_id=user.unit_id)


def unit_cases(user):
    """For a unit's staff, ``visible_appeals``' cases as one semi-join over the unit's parts: for lists.

    The same cases: those it leads, and those it co-handles or led before a
    return. ``visible_appeals`` says so with an OR over a subquery, which is
    cheapest for one case (``access_appeal_for_user``) but for which PostgreSQL
    reads every case of a list (0.9 s at a million); the ids of the parts,
    united, are read from indexes on both databases. None for anyone else.
    """
    if not has_role(user, Role.UNIT):
        return None
    led = appeals_led_by_unit(user).order_by().values("id")
    return Appeal.objects.filter(pk__in=led.union(*other_parts(user)))


def other_parts(user):
    """The ids of the cases a unit co-handles or led before a return (whether it leads them now).

    ``visible_appeals``' own list of them, read from the unit's assignments
    alone (``appeals_with_unit_part`` would add a lookup of every case twice).
    """
    mine = Assignment.objects.filter(unit_id=user.unit_id)
    return tuple(mine.filter(part).order_by().values("appeal_id") for part in OTHER_PARTS)


def appeals_with_unit_part(user, **part):
    """The cases in which the user's unit has a lead or co-unit part matching ``part``.

    Each of them is visible to the unit (it sees what it ever had a part in),
    so the unit workbench's tabs of parts start here: a semi-join from the
    unit's own parts that both databases run from that short list, where the
    general ``visible_appeals`` condition, an OR, would make PostgreSQL read
    every case.
    """
    if not has_role(user, Role.UNIT):
        return Appeal.objects.none()
    parts = Assignment.objects.filter(
        unit_id=user.unit_id, role__in=[Assignment.Role.LEAD, Assignment.Role.CO], **part
    )
    return Appeal.objects.filter(pk__in=parts.values("appeal_id"))


def access_appeal_for_user(user, appeal_id):
    """The appeal if ``user`` may see it; otherwise ``Http404``."""
    try:
        return (
            visible_appeals(user)
            .select_related("enterprise", "category", "office", "lead_unit")
            .get(pk=int(appeal_id))
        )
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_office_for(user, appeal):
    """The office in charge of the case — or the city office, which oversees all."""
    return has_role(user, Role.OFFICE) and (
        is_city_office(user.unit) or appeal.office_id == user.unit_id
    )


def is_lead_for(user, appeal):
    """The lead unit's staff (the office's own staff when it handles the case directly)."""
    return (
        has_role(user, Role.UNIT, Role.OFFICE)
        and appeal.lead_unit_id is not None
        and appeal.lead_unit_id == user.unit_id
    )


def is_co_unit_for(user, appeal):
    return (
        has_role(user, Role.UNIT)
        and appeal.assignments.filter(
            unit_id=user.unit_id, role=Assignment.Role.CO, active=True
        ).exists()
    )


def is_owner(user, appeal):
    return has_role(user, Role.ENTERPRISE) and user.enterprise_id == appeal.enterprise_id


def events_as_seen_by(user, events):
    """A case's events as ``user`` may see them; ``events`` are changed in memory, never saved.

    An enterprise sees which unit acted, not the clerk: a staff actor is
    replaced by the unit the event names, or else the actor's unit. Nor does it
    see the notes of urges, which are internal reminders between offices and units.
    """
    if not has_role(user, Role.ENTERPRISE):
        return events
    for event in events:
        actor = event.actor
        if actor is not None and actor.role != Role.ENTERPRISE:
            if event.unit_id is None and actor.unit_id is not None:
                event.unit = actor.unit
            event.actor = None
        if event.action == Event.Kind.URGE:
            event.note = ""
    return events


def may_reveal_contact(user, appeal):
    """Who needs the case's contact phone to handle it: the office in charge of the case (the
    city office oversees all) and its lead unit. They see it masked like everyone, and reveal
    it with a reason (``audit.reveal``)."""
    return is_office_for(user, appeal) or is_lead_for(user, appeal)


def contact_phone_for(user, appeal, *, api=False):
    """The case's contact phone as ``user`` sees it on a page (``api``: in the API's answer).

    Its own enterprise sees it in full (it gave it). On pages everyone else sees it
    masked (``core.masking``); the API, which has no form to state a reason, answers it
    in full to those who ``may_reveal_contact``, each read a ``read_personal`` row
    (``audit.middleware.PERSONAL_READS``), and masked to anyone else.
    """
    phone = appeal.contact_phone or ""
    if is_owner(user, appeal) or (api and may_reveal_contact(user, appeal)):
        return phone
    return masking.mask_phone(phone)


def contact_as_seen_by(user, appeal):
    """The appeal with its contact phone as ``user`` may see it in the API, changed in memory
    (never saved), as ``events_as_seen_by`` does for the events."""
    appeal.contact_phone = contact_phone_for(user, appeal, api=True)
    return appeal
