"""The single clock every time-dependent rule reads.

Tests move it with ``time_machine``; commands that take ``--at`` pass their
instant explicitly instead of reading it.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now():
    """The current instant, aware."""
    return timezone.now()


def local(instant):
    """The instant seen in Asia/Shanghai."""
    return instant.astimezone(SHANGHAI)


def start_of_day(day):
    """Midnight of the calendar date ``day`` in Asia/Shanghai, aware."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)
