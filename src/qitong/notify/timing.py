"""When the outbox sends: leases, retries with backoff, and office hours for urges and digests."""

from datetime import datetime, timedelta

from qitong.core.clock import SHANGHAI
from qitong.core.workdays import MAX_DAYS_WALKED, WorkCalendar

# How long a claimed row is held by the worker sending it. A worker that dies
# mid-send leaves the row to be picked up again once the lease has run out.
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# Kinds pushed (e-mail, SMS, WeCom) only in office hours: the sweep's urges and the
# digests. The inbox entry is there at once; the pushes wait for the next opening.
OFFICE_HOURS_KINDS = frozenset({"urge", "policy_digest", "project_digest"})


def retry_delay(attempts):
    """The wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 10), LONGEST_RETRY)


def retry_at(kind, now, attempts):
    """When a push of ``kind`` that failed for the ``attempts``-th time is tried again:
    after ``retry_delay``, and for ``OFFICE_HOURS_KINDS`` not before office hours."""
    return push_due(kind, now + retry_delay(attempts))


def push_due(kind, now):
    """When a new message's pushes are due: ``now``, or for ``OFFICE_HOURS_KINDS`` the next
    office-hours opening (``now`` itself inside office hours)."""
    if kind not in OFFICE_HOURS_KINDS:
        return now
    return next_opening(WorkCalendar(), now)


def next_opening(calendar, instant):
    """``instant`` if it is in office hours on a working day, else the next opening of
    office hours (``core.workdays``: the admin's ``OfficeHours``, working days)."""
    if calendar.in_office_hours(instant):
        return instant
    local = instant.astimezone(SHANGHAI)
    date = local.date()
    for _day in range(MAX_DAYS_WALKED):
        if calendar.day(date)[0]:
            for opens, _closes in calendar.office_hours:
                at = datetime.combine(date, opens, tzinfo=SHANGHAI)
                if at > local:
                    return at
        date += timedelta(days=1)
    raise ValueError("no office hours ahead")
