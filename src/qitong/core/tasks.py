"""Background tasks of core: thin wrappers that load and call."""

from celery import shared_task
from django.contrib.sessions.models import Session

from qitong.core import clock, exports, jobs


@shared_task(name="qitong.core.tasks.clear_expired_sessions")
def clear_expired_sessions():
    """Delete expired login sessions; returns how many were removed."""
    removed, _detail = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return removed


@shared_task(name="qitong.core.tasks.run_job")
def run_job(job_id):
    """Run one background job, sent when it is started (production); returns its final status."""
    return jobs.run(job_id)


@shared_task(name="qitong.core.tasks.run_queued_jobs")
def run_queued_jobs():
    """The periodic pick-up: queued jobs, and jobs whose worker died; returns the ids run."""
    return jobs.run_queued()


@shared_task(name="qitong.core.tasks.clear_old_jobs")
def clear_old_jobs():
    """Remove old jobs' result files and rows (``jobs.clear_old``), and what killed exports left."""
    return {**jobs.clear_old(), "scratch": exports.clear_scratch()}
