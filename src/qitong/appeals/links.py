"""The dispatch app's duplicate links, as the appeal loop reads them.

An office links a case to its primary in the dispatch app (``dispatch.DuplicateLink``),
which sits above this one; the loop still needs two answers from those links, each
given here once: which events the figures leave out (a duplicate is counted once, as
its primary) and whether a case may be sent back for redoing (a linked duplicate
follows its primary). The model is named through the app registry, so the loop runs
without that app.
"""

from django.apps import apps
from django.db.models import Q


def duplicate_links():
    """The links by which an office marked a case another's duplicate (``dispatch.DuplicateLink``).

    Named by the app registry, since that app sits above this one; None without it.
    """
    try:
        return apps.get_model("dispatch", "DuplicateLink")
    except LookupError:
        return None


def linked_duplicates_q():
    """The events of appeals an office linked as another's duplicate: counted once, as their primary."""
    links = duplicate_links()
    if links is None:
        return Q()
    return ~Q(appeal_id__in=links.objects.values("appeal_id"))


def is_linked_duplicate(appeal):
    """Whether an office linked ``appeal`` as another's duplicate: it then follows its primary."""
    links = duplicate_links()
    return links is not None and links.objects.filter(appeal_id=appeal.pk).exists()
