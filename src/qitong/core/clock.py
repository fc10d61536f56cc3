"""The single clock every time-dependent rule reads.

Tests move it with ``time_machine``; commands that take ``--at`` pass their
instant explicitly instead of reading it.
"""

from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now():
    """The current instant, aware."""
    return timezone.now()


def local(instant):
    """The instant seen in Asia/Shanghai."""
    return instant.astimezone(SHANGHAI)
