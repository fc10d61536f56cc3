"""Background work of key projects: closing the months that are due, run by the schedule."""

from celery import shared_task

from qitong.projects import ranking


@shared_task(name="qitong.projects.tasks.close_months")
def close_months():
    """Rank every month due and not yet ranked, warn, send the digests; returns the months closed."""
    return ranking.close_due()
