"""The appeal's timeline: the one writer of ``Event`` rows, and what each kind carries.

Every event kind (``Event.Kind``, with its label) declares here the facts it
keeps in ``Event.data``; ``record`` refuses any other key, so the figures,
the cockpit and the ledger can rely on what they read (``data_field``), and a
newcomer finds in one table what each event says. Actions, the sweep and the
calendar's recomputation all write through ``record`` (or ``row`` and
``insert``, for the batches of many cases at once).
"""

from qitong.appeals.models import Event
from qitong.audit import trail
from qitong.core import clock
from qitong.core.bulk import insert_rows

K = Event.Kind

# The keys of ``Event.data`` each kind carries; a kind not listed carries none.
PAYLOADS = {
    K.SUBMIT: ("channel",),
    # mode: a handling mode, or "district" when the city office hands the case to a
    # district office; lead_unit: the unit's code (the district office's, then).
    K.DISPATCH: ("mode", "lead_unit", "co_units", "complex"),
    K.CONTACT: ("first",),  # whether this met the milestone (the first contact)
    K.REPLY: ("first",),
    K.EXTEND: ("working_days",),
    K.APPROVE_EXTENSION: ("requested", "granted", "resolve_due"),
    K.RESUME: ("suspended_working_days",),
    # after_rating: sent back after the enterprise's rating, not at the office's review.
    K.REDO: ("after_rating", "unsatisfied"),
    K.RATE: ("process", "result"),
    K.ATTACH: ("attachment",),
    K.SUPERVISE: ("trigger",),
    # manual: the office's hand urge; triggers: the open supervisions the sweep urged for.
    K.URGE: ("manual", "triggers"),
    K.ESCALATE: ("level", "title"),
    K.RECOMPUTE_DEADLINES: ("years", "resolve_due", "provisional"),
    K.RECATEGORIZE: ("category", "previous"),  # the categories' codes ("" for none)
    # primary: the id of the case this one duplicated, whose result or rejection it followed
    # (``actions.close_as_duplicate``).
    K.APPROVE: ("primary",),
    K.REJECT: ("primary",),
    K.ARCHIVE: ("primary",),  # cases archived with their primary before 2026-12-06
}


# ``mode`` of a dispatch by which the city office hands a case to a district office.
TO_DISTRICT = "district"


def _checked(kind, data):
    kind = K(kind)
    unknown = set(data) - set(PAYLOADS.get(kind, ()))
    if unknown:
        raise TypeError(f"event {kind.value} carries no {', '.join(sorted(unknown))}")
    return kind


def record(appeal, kind, *, actor=None, note="", unit=None, at=None, **data):
    """Append one event to the appeal's timeline, its data checked against its kind."""
    event = Event.objects.create(
        appeal=appeal,
        action=_checked(kind, data),
        actor=actor,
        note=note,
        unit=unit,
        at=at or clock.now(),
        data=data,
    )
    # The audit trail's row of this event (who, from where: the request being served).
    trail.record(
        trail.Action.APPEAL,
        target=f"appeal:{appeal.pk}",  # its number may still be provisional while filing
        user=actor,
        detail={"event": event.action, "appeal": appeal.pk, "unit": unit.pk if unit else None},
    )
    return event


def data_field(kind, key):
    """The lookup of one declared fact of ``kind`` for queries, e.g. ``data__lead_unit``."""
    if key not in PAYLOADS.get(K(kind), ()):
        raise KeyError(f"event {kind} carries no {key}")
    return f"data__{key}"


# The columns of an event row for bulk writes (``row``, ``insert``).
FIELDS = ("appeal", "action", "actor", "at", "unit", "note", "data")


def row(appeal_id, kind, actor_id, at, unit_id, note, **data):
    """One event as a plain row of ``FIELDS``, its data checked against its kind (for ``insert``)."""
    return (appeal_id, _checked(kind, data).value, actor_id, at, unit_id, note, data)


def insert(rows):
    """Write many events at once: the sweep's batches (``core.bulk.insert_rows``)."""
    rows = list(rows)
    insert_rows(Event, FIELDS, rows)
    trail.record_system(
        trail.Action.APPEAL,
        (
            {
                "target": f"appeal:{appeal}",
                "user_id": actor,
                "detail": {"event": kind, "appeal": appeal},
            }
            for appeal, kind, actor, *_rest in rows
        ),
    )
