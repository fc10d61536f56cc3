"""A project's timeline: the one writer of ``Event`` rows, and what each kind carries.

Each kind (``Event.Kind``, its label the timeline's words) declares here the
keys of ``Event.data`` it keeps; ``record`` refuses any other.
"""

from qitong.core import clock
from qitong.projects.models import Event

K = Event.Kind

PAYLOADS = {
    K.CREATE: (),
    K.EDIT: ("fields",),  # the names of the fields changed
    # month, this month's investment (text), how many problems and photos came with it
    K.REPORT: ("month", "investment", "problems", "photos"),
    K.FILE_PROBLEM: ("problem", "appeal"),  # the problem's id, the appeal's number
    K.FINISH: ("state",),  # completed or withdrawn
}


def record(project, kind, *, actor=None, note="", at=None, **data):
    """Append one event to the project's timeline, its data checked against its kind."""
    kind = K(kind)
    unknown = set(data) - set(PAYLOADS[kind])
    if unknown:
        raise TypeError(f"event {kind.value} carries no {', '.join(sorted(unknown))}")
    return Event.objects.create(
        project=project, kind=kind, actor=actor, note=note, at=at or clock.now(), data=data
    )
