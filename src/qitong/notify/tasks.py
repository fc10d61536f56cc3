"""Background tasks of notify: thin wrappers around the outbox."""

from celery import shared_task

from qitong.notify import outbox


@shared_task(name="qitong.notify.tasks.deliver_email")
def deliver_email():
    """E-mail the messages that are due; returns {"sent": n, "failed": n}."""
    return outbox.deliver_due()
