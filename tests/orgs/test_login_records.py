"""Login records do not grow for ever: a periodic job removes those past their keeping time."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog

from qitong.core import clock
from qitong.core.schedule import JOBS
from qitong.orgs.tasks import LOGIN_RECORDS_KEPT, clear_old_login_records

pytestmark = pytest.mark.django_db


def _aged(model, age, address, **fields):
    row = model.objects.create(username="office", ip_address=address, **fields)
    model.objects.filter(pk=row.pk).update(attempt_time=clock.now() - age)
    return row


def test_records_past_their_keeping_time_are_removed_and_recent_ones_kept():
    old = LOGIN_RECORDS_KEPT + dt.timedelta(days=1)
    recent = dt.timedelta(days=1)
    for model, extra in (
        (AccessLog, {}),
        (AccessFailureLog, {}),
        (AccessAttempt, {"failures_since_start": 1}),
    ):
        _aged(model, old, "10.0.0.1", **extra)
        kept = _aged(model, recent, "10.0.0.2", **extra)
        assert model.objects.count() == 2
        assert kept.pk
    assert clear_old_login_records() == 3
    assert AccessLog.objects.count() == AccessFailureLog.objects.count() == 1
    assert AccessAttempt.objects.count() == 1
    assert clear_old_login_records() == 0


def test_the_clean_up_is_on_the_schedule_of_both_deployments():
    assert "qitong.orgs.tasks.clear_old_login_records" in {job.task for job in JOBS}
