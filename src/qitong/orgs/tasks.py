"""Background tasks of orgs: thin wrappers that keep the login records bounded."""

import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from celery import shared_task

from qitong.core import clock
from qitong.orgs.lockout import KNOWN_FOR

# Login records are kept this long: past the lockout's memory of a user's usual
# addresses (``lockout.KNOWN_FOR``), long enough for an audit of the quarter.
LOGIN_RECORDS_KEPT = max(dt.timedelta(days=90), KNOWN_FOR)


@shared_task(name="qitong.orgs.tasks.clear_old_login_records")
def clear_old_login_records():
    """Delete login attempts and logs older than ``LOGIN_RECORDS_KEPT``; returns how many."""
    before = clock.now() - LOGIN_RECORDS_KEPT
    removed = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        count, _detail = model.objects.filter(attempt_time__lt=before).delete()
        removed += count
    return removed
