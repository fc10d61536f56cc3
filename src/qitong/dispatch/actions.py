"""Every write of the dispatch app: suggestions remembered, accepted, and duplicates linked.

The appeal itself is changed only through ``appeals.actions``: one click on a
suggested unit is that app's ``dispatch``, on a suggested category its
``recategorize``, and a duplicate follows its primary by ``close_as_duplicate``;
this app writes its own rows.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from qitong.appeals import actions as appeal_actions
from qitong.appeals.access import is_office_for
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.dispatch import access, duplicates
from qitong.dispatch.models import DuplicateLink, Suggestion
from qitong.orgs import scope


def remember(appeal, source, units, categories, *, at=None):
    """Keep what the office was shown for ``appeal`` (its first suggestion), until dispatched."""
    if not units and not categories:
        return None
    top_unit = units[0] if units else None
    top_category = categories[0] if categories else None
    values = {
        "source": source,
        "lead_unit": top_unit.obj if top_unit else None,
        "unit_confidence": top_unit.confidence if top_unit else 0,
        "category": top_category.obj if top_category else None,
        "category_confidence": top_category.confidence if top_category else 0,
        "suggested_at": at or clock.now(),
    }
    suggestion, created = Suggestion.objects.get_or_create(appeal=appeal, defaults=values)
    if not created and suggestion.outcome == Suggestion.Outcome.PENDING:
        for name, value in values.items():
            setattr(suggestion, name, value)
        suggestion.save()
    return suggestion


def accept(appeal, *, acting_user, lead_unit, at=None):
    """One click: dispatch ``appeal`` to ``lead_unit`` (a code) as transferred handling.

    ``appeals.actions.dispatch`` checks the office's right, the state and the
    unit; the suggestion is marked accepted (the top one) or corrected
    (another one) in the same transaction.
    """
    at = at or clock.now()
    if not isinstance(lead_unit, str) or not lead_unit:
        raise ValidationError({"lead_unit": [_("请选择牵头单位。")]})
    if not access.dispatchable_units(appeal).filter(code=lead_unit).exists():
        raise ValidationError(
            {"lead_unit": [_("单位 %(code)s 不能作为本件的牵头单位。") % {"code": lead_unit}]}
        )
    with transaction.atomic():
        appeal = appeal_actions.dispatch(
            appeal, acting_user=acting_user, at=at, mode=Appeal.Mode.TRANSFER, lead_unit=lead_unit
        )
        suggestion = Suggestion.objects.select_for_update().filter(appeal=appeal).first()
        if suggestion is not None:
            suggestion.chosen_unit = appeal.lead_unit
            suggestion.decided_at = at
            suggestion.outcome = (
                Suggestion.Outcome.ACCEPTED
                if suggestion.lead_unit_id == appeal.lead_unit_id
                else Suggestion.Outcome.CORRECTED
            )
            suggestion.save(update_fields=["chosen_unit", "decided_at", "outcome"])
    return appeal


def accept_category(appeal, *, acting_user, category, at=None):
    """One click on a suggested category (a code): the case's category becomes it.

    ``appeals.actions.recategorize`` checks the office's right, the state and
    the category. The suggestion is marked corrected when the click changed
    the case's category (the one it was filed with, or the office's earlier
    choice), accepted when it confirmed it; a corrected case weighs
    ``suggest.CORRECTION_WEIGHT`` in the next category model.
    """
    at = at or clock.now()
    with transaction.atomic():
        before = appeal.category_id
        appeal = appeal_actions.recategorize(
            appeal, acting_user=acting_user, at=at, category=category
        )
        suggestion = Suggestion.objects.select_for_update().filter(appeal=appeal).first()
        if suggestion is not None:
            suggestion.chosen_category = appeal.category
            suggestion.category_outcome = (
                Suggestion.Outcome.ACCEPTED
                if appeal.category_id == before
                else Suggestion.Outcome.CORRECTED
            )
            suggestion.save(update_fields=["chosen_category", "category_outcome"])
    return appeal


def link_duplicate(appeal, primary, *, acting_user, at=None):
    """Link ``appeal`` as a duplicate of ``primary``: one case handled, counted once.

    The office must be in charge of both. A primary that is itself a
    duplicate gives way to its own primary; the cases that repeated
    ``appeal`` follow it to the new primary. The link keeps how alike the two
    texts are (``duplicates.similarity``). A primary already approved or
    rejected closes ``appeal`` at once (``follow_result``).
    """
    at = at or clock.now()
    if not isinstance(primary, Appeal):
        raise ValidationError({"primary": [_("主诉求不存在。")]})
    if not (is_office_for(acting_user, appeal) and is_office_for(acting_user, primary)):
        raise PermissionDenied(_("您无权关联这两件诉求。"))
    with transaction.atomic():
        upstream = DuplicateLink.objects.filter(appeal=primary).select_related("primary").first()
        if upstream is not None and upstream.primary_id == appeal.pk:
            upstream.delete()  # the two swap places
        elif upstream is not None:
            primary = upstream.primary
        if primary.pk == appeal.pk:
            raise ValidationError({"primary": [_("不能把诉求关联为自身的重复。")]})
        DuplicateLink.objects.filter(primary=appeal).update(primary=primary)
        score = duplicates.similarity(
            duplicates.appeal_text(appeal), duplicates.appeal_text(primary)
        )
        link, _created = DuplicateLink.objects.update_or_create(
            appeal=appeal,
            defaults={
                "primary": primary,
                "score": score,
                "linked_by": acting_user,
                "linked_at": at,
            },
        )
        follow_result(primary.pk, only=appeal, actor=acting_user, at=at)
    return link


# The primary's states that close its duplicates: an approved result, or a rejection.
RESULT_STATES = (Appeal.Status.PENDING_RATING, Appeal.Status.ARCHIVED, Appeal.Status.REJECTED)
# The primary's events after which its duplicates follow it (``on_event``).
RESULT_EVENTS = ("approve", "archive", "rate", "reject")


def on_event(event):
    """A new event of a case: after its approval, archiving, rating or rejection, its
    duplicates follow it. Their events name the primary's actor when staff (an
    enterprise's rating is not its act on other enterprises' cases)."""
    if event.action not in RESULT_EVENTS:
        return 0
    actor = event.actor if event.actor_id and scope.is_officer(event.actor) else None
    return follow_result(event.appeal_id, actor=actor, at=event.at)


def follow_result(primary_id, *, only=None, actor=None, at=None):
    """Close the open duplicates of ``primary_id`` with its result; returns how many.

    Run in the transaction of the primary's approval, archiving, rating or
    rejection (``appeals`` records the event; ``on_event``, through ``apps._on_event``), and when a
    case is linked to a primary already approved or rejected (``only``: that
    one). Each duplicate is closed by ``appeals.actions.close_as_duplicate``:
    archived with the primary's result, or rejected with its reason, a public
    note naming the primary, its enterprise told.
    """
    primary = Appeal.objects.filter(pk=primary_id, status__in=RESULT_STATES).first()
    if primary is None:
        return 0
    links = DuplicateLink.objects.filter(primary=primary).select_related("appeal")
    if only is not None:
        links = links.filter(appeal=only)
    return sum(
        appeal_actions.close_as_duplicate(link.appeal, primary=primary, at=at, actor=actor)
        for link in links
    )


def unlink_duplicate(appeal, *, acting_user):
    """Undo ``link_duplicate``: ``appeal`` counts on its own again."""
    if not is_office_for(acting_user, appeal):
        raise PermissionDenied(_("您无权取消关联。"))
    return DuplicateLink.objects.filter(appeal=appeal).delete()[0]
