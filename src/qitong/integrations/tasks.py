"""Background tasks of the integrations: thin wrappers around the callback outbox."""

from celery import shared_task

from qitong.integrations import callbacks


@shared_task(name="qitong.integrations.tasks.deliver_callbacks")
def deliver_callbacks():
    """Post the due 12345 callbacks; returns {"sent": n, "failed": n, "dead": n}."""
    return callbacks.deliver_due()
