"""Background work of the appeal loop: thin wrappers over the sweep, the month figures and
the recomputation of deadlines after a calendar change (a job with its progress kept)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from qitong.appeals import actions, deadlines, figures
from qitong.appeals import sweep as sweep_module
from qitong.core import clock, jobs

RECOMPUTE_DEADLINES = "qitong.appeals.tasks.recompute_deadlines"


@shared_task(name="qitong.appeals.tasks.sweep")
def sweep():
    """The deadline and supervision sweep as of now; returns its summary."""
    return sweep_module.run()


@shared_task(name="qitong.appeals.tasks.refresh_figures")
def refresh_figures():
    """Recount the months the cockpit shows (``figures.refresh_snapshots``); returns which."""
    return figures.refresh_snapshots()


def on_calendar_changed(sender, years, **kwargs):
    """A year's calendar changed (after commit): recompute the open deadlines in a background job.

    At a province's volume that is tens of thousands of cases, too long for
    the admin's request; the job's progress shows in the admin (后台任务).
    """
    jobs.start(RECOMPUTE_DEADLINES, params={"years": sorted(years)})


def on_ladder_changed(sender, **kwargs):
    """A rung of the escalation ladder was added, changed or removed (in the admin).

    Cases at the old top were told nothing more was due; a new top must reach them.
    """
    deadlines.rejudge_overdue(clock.now())


@jobs.job_kind(_("工作日历变更后重新计算办理期限"))
def recompute_deadlines(job, progress):
    """The job: ``actions.recompute_deadlines_for_years``, reporting how far it got."""
    actions.recompute_deadlines_for_years(job.params["years"], progress=progress)
