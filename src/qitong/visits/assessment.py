"""Visit coverage, the measure the units' assessment reads by name for its item 走访覆盖.

A pairing owed a visit in a period when its next visit fell due before the
period's end: ``Rhythm.visit_days`` after its pairer's last done visit before
the period began (or after the pairing began, before the first), while the
pairing was still running then. It is covered when its pairer recorded a done
visit to it within the period. A unit's coverage is the pairings it owed,
and how many of them it covered; leaders in person are not units and are
left to the cockpit.
"""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import DateTimeField, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from qitong.visits import rhythm
from qitong.visits.models import Kind, Pairing, Visit


def _owed(pairings, start, end):
    """``pairings`` running during ``[start, end)`` with ``visit_since`` (their pairer's last
    done visit before ``start``, or their start) and ``visited`` (a done visit within)."""
    done = Visit.objects.filter(pairing=OuterRef("pk"), state=Visit.State.DONE)
    last = (
        done.filter(visited_at__lt=start)
        .order_by()
        .values("pairing")
        .annotate(last=Max("visited_at"))
        .values("last")
    )
    return (
        pairings.filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .annotate(
            visit_since=Coalesce(Subquery(last), "started_at", output_field=DateTimeField()),
            visited=Exists(done.filter(visited_at__gte=start, visited_at__lt=end)),
        )
    )


def coverage(period, units):
    """``{unit code: (covered, owed, url)}`` of the units among ``units`` that owed a visit
    in ``period`` (``start``/``end`` instants); the url lists the unit's pairings."""
    table = rhythm.rhythms()
    codes = {unit.pk: unit.code for unit in units}
    names = {unit.pk: unit.name for unit in units}
    pairings = Pairing.objects.filter(
        kind__in=[Kind.UNIT, Kind.TOWN], unit_id__in=list(codes)
    ).order_by()
    counts = {}
    for unit_id, kind, since, ended, visited in _owed(
        pairings, period.start, period.end
    ).values_list("unit_id", "kind", "visit_since", "ended_at", "visited"):
        days = table.get(kind, (None, None))[1]
        if not days:
            continue
        due = since + dt.timedelta(days=days)
        if due >= period.end or (ended is not None and ended <= due):
            continue  # not yet due within the period, or ended before it fell due
        covered, owed = counts.get(unit_id, (0, 0))
        counts[unit_id] = (covered + (1 if visited else 0), owed + 1)
    base = reverse("visit-pairings")
    return {
        codes[unit_id]: (covered, owed, f"{base}?{urlencode({'q': names[unit_id], 'ended': 1})}")
        for unit_id, (covered, owed) in counts.items()
    }
