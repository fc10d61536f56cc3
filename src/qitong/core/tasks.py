"""Background tasks of core: thin wrappers that load and call."""

from celery import shared_task
from django.contrib.sessions.models import Session

from qitong.core import clock


@shared_task(name="qitong.core.tasks.clear_expired_sessions")
def clear_expired_sessions():
    """Delete expired login sessions; returns how many were removed."""
    removed, _detail = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return removed
