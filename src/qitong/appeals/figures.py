"""Figures per unit and period, computed from the timeline.

What a unit received is what was dispatched to it as lead within the period
(the ``dispatch`` events); returns, redos, suspensions, extensions and ratings
are counted from their events within the period. "Key projects, unit
assessment and monthly bulletins" scores units from these.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied

from qitong.appeals.access import is_city_office
from qitong.appeals.models import Appeal, Event
from qitong.core.clock import SHANGHAI
from qitong.orgs.models import Unit, User

GOOD = (Appeal.Rating.SATISFIED, Appeal.Rating.BASICALLY_SATISFIED)


def month(year, number):
    """[start, end) of a calendar month in Asia/Shanghai."""
    start = dt.datetime(year, number, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def _share(part, whole):
    return round(part / whole, 4) if whole else None


@dataclass
class UnitFigures:
    unit: str
    name: str
    received: int = 0
    contacted_on_time: int = 0
    replied_on_time: int = 0
    resolved_on_time: int = 0
    overdue: int = 0
    returned: int = 0
    redo_by_office: int = 0
    redo_after_rating: int = 0
    suspended: int = 0
    extensions: int = 0
    rated: int = 0
    process_satisfied: int = 0
    result_satisfied: int = 0
    signed: int = 0
    replied: int = 0
    rates: dict = field(default_factory=dict)

    def finish(self):
        self.rates = {
            "contact_on_time": _share(self.contacted_on_time, self.received),
            "reply_on_time": _share(self.replied_on_time, self.received),
            "resolve_on_time": _share(self.resolved_on_time, self.received),
            "process_satisfaction": _share(self.process_satisfied, self.rated),
            "result_satisfaction": _share(self.result_satisfied, self.rated),
            # The seeds' "three 100%": problems met, fed back, handled to satisfaction.
            "met": _share(self.signed, self.received),
            "fed_back": _share(self.replied, self.received),
            "satisfied": _share(self.result_satisfied, self.rated),
        }
        return self

    def as_dict(self):
        return asdict(self)


def _on_time(done, due):
    return done is not None and due is not None and done <= due


def _late(appeal, as_of):
    """A deadline met late, or passed and still unmet, as of ``as_of``."""
    for due, done in (
        (appeal.contact_due, appeal.contacted_at),
        (appeal.reply_due, appeal.replied_at),
        (appeal.resolve_due, appeal.resolved_at),
    ):
        if due is None:
            continue
        if (done is not None and done > due) or (done is None and due < as_of):
            return True
    return False


def unit_figures(start, end, *, units=None, as_of=None):
    """Figures of each unit for [start, end); ``as_of`` judges what is still open (default: end)."""
    as_of = min(as_of or end, end)
    units = list(units if units is not None else Unit.objects.exclude(kind=Unit.Kind.LEADER))
    by_code = {unit.code: UnitFigures(unit=unit.code, name=unit.name) for unit in units}
    by_id = {unit.pk: by_code[unit.code] for unit in units}

    dispatches = Event.objects.filter(action="dispatch", at__gte=start, at__lt=end).select_related(
        "appeal"
    )
    seen = set()
    for event in dispatches:
        figures = by_code.get(event.data.get("lead_unit"))
        appeal = event.appeal
        if (
            figures is None
            or event.data.get("mode") == "district"
            or (appeal.pk, figures.unit) in seen
        ):
            continue
        seen.add((appeal.pk, figures.unit))
        figures.received += 1
        if appeal.lead_unit_id is None or by_id.get(appeal.lead_unit_id) is not figures:
            continue  # returned since: counted under "returned"
        figures.signed += appeal.signed_at is not None
        figures.replied += appeal.replied_at is not None
        figures.contacted_on_time += _on_time(appeal.contacted_at, appeal.contact_due)
        figures.replied_on_time += _on_time(appeal.replied_at, appeal.reply_due)
        figures.resolved_on_time += _on_time(appeal.resolved_at, appeal.resolve_due)
        figures.overdue += _late(appeal, as_of)

    events = Event.objects.filter(
        action__in=["return", "redo", "approve_suspension", "approve_extension", "rate"],
        at__gte=start,
        at__lt=end,
    ).select_related("appeal")
    for event in events:
        unit_id = event.unit_id if event.action in ("return", "redo") else event.appeal.lead_unit_id
        figures = by_id.get(unit_id)
        if figures is None:
            continue
        if event.action == "return":
            figures.returned += 1
        elif event.action == "redo":
            if event.data.get("after_rating"):
                figures.redo_after_rating += 1
            else:
                figures.redo_by_office += 1
        elif event.action == "approve_suspension":
            figures.suspended += 1
        elif event.action == "approve_extension":
            figures.extensions += 1
        elif event.action == "rate":
            figures.rated += 1
            figures.process_satisfied += event.data.get("process") in GOOD
            figures.result_satisfied += event.data.get("result") in GOOD
    return [figures.finish() for figures in by_code.values()]


def units_for_user(user):
    """The units whose figures ``user`` may read.

    The city office, leaders and admins: every unit; a district office: the
    units of its district; a unit: itself; an enterprise: none (403).
    """
    units = Unit.objects.exclude(kind=Unit.Kind.LEADER).order_by("code")
    if user.role in (User.Role.LEADER, User.Role.ADMIN) or (
        user.role == User.Role.OFFICE and is_city_office(user.unit)
    ):
        return units
    if user.role == User.Role.OFFICE and user.unit_id:
        district = user.unit.parent_id
        return units.filter(pk=district) | units.filter(parent_id=district)
    if user.role == User.Role.UNIT and user.unit_id:
        return units.filter(pk=user.unit_id)
    raise PermissionDenied
