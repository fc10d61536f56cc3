"""The Celery app of the production deployment (Redis broker).

Its beat schedule comes from ``qitong.core.schedule.JOBS``, the same list the
embedded scheduler of ``qitong serve`` runs, so both deployments call the same
functions on the same timetable.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")

app = Celery("qitong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    # Imported once Celery is set up: importing ``qitong`` imports this module, and the
    # schedule reads the environment, whose mistakes the CLI reports in a sentence.
    from qitong.core.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
