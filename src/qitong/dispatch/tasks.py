"""The dispatch models' nightly training (``core/schedule.py`` ``dispatch-retrain``)."""

from celery import shared_task

from qitong.dispatch import suggest


@shared_task(name="qitong.dispatch.tasks.retrain")
def retrain():
    """Record what came of the suggestions and train both models again from the history."""
    return suggest.retrain()
