"""Background tasks of the audit trail."""

from celery import shared_task

from qitong.audit import chain


@shared_task(name="qitong.audit.tasks.prune_records")
def prune_records():
    """Delete rows past the retention (never less than 180 days) and re-anchor; returns how many."""
    return chain.prune()


@shared_task(name="qitong.audit.tasks.seal_records")
def seal_records():
    """Link the rows staged since the last seal to the end of the chain; returns how many."""
    return chain.seal()
