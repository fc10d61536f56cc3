"""Background tasks of the appeal loop: thin wrappers over the sweep and the month figures."""

from celery import shared_task

from qitong.appeals import figures
from qitong.appeals import sweep as sweep_module


@shared_task(name="qitong.appeals.tasks.sweep")
def sweep():
    """The deadline and supervision sweep as of now; returns its summary."""
    return sweep_module.run()


@shared_task(name="qitong.appeals.tasks.refresh_figures")
def refresh_figures():
    """Recount the months the cockpit shows (``figures.refresh_snapshots``); returns which."""
    return figures.refresh_snapshots()
