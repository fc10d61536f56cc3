"""Background jobs: long work done outside the request, with its progress kept in a row.

A job is a ``core.models.Job`` row: a ``kind``, JSON ``params``, a status, its
progress (``done`` of ``total``) and, when it makes a file, the ``result`` in
storage, downloadable by whoever started it and by no one else.

Kinds are functions, named by their dotted path
-----------------------------------------------
The kind of a job is the dotted path of the function that does its work,
which lives in the app that owns the work (core imports nothing of the apps
above it; it finds the function with ``import_string``). A kind function
takes ``(job, progress)`` and is marked with ``@job_kind(label)``, so that no other
function can ever be run from a row::

    from qitong.core import jobs

    @jobs.job_kind(_("重新计算期限"))
    def recompute_deadlines(job, progress):
        appeals = open_appeals(job.params["years"])
        for done, appeal in enumerate(appeals, start=1):
            ...
            progress(done, len(appeals))
        return jobs.Outcome(on_done=tell_the_admins)  # or None: nothing to store or tell

    jobs.start("qitong.appeals.deadlines.recompute_deadlines", params={"years": [2027]})

``progress(done, total=None)`` records how far it got and extends the
worker's lease; call it every few seconds at least (every few thousand rows).
It raises ``LostClaim`` when another worker has taken the job over, which
ends the run. The function returns ``None`` or an ``Outcome``: a file to
store as the result (a binary file object, its download name and content
type), and ``on_done(job)``, called in the transaction that marks the job
done, where the owning app tells the creator (``notify.outbox.enqueue``, with
``job_page_url(job)`` as the link). An exception fails the job: it is not
retried, as the same input would fail again; its text is kept in ``error``.

Who runs them
-------------
``start`` writes the row in the caller's transaction; on commit, production
sends ``qitong.core.tasks.run_job`` to a Celery worker. Both deployments also
run ``run_queued`` every ten seconds (``core/schedule.py``: Celery beat, or the
embedded scheduler of ``qitong serve``), which picks up queued jobs (the
embedded deployment's only road; production's safety net when a broker was
down) and jobs whose worker died: a running job whose lease has run out is
claimed again, up to ``MAX_ATTEMPTS`` times. ``run(job_id)`` claims a job
with a conditional UPDATE, so of two workers exactly one runs it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.core.models import Job

log = logging.getLogger(__name__)

# The Celery task that runs one job (``qitong.core.tasks.run_job``).
RUN_TASK = "qitong.core.tasks.run_job"

# How long a claim holds without news from its worker; progress reports renew it.
LEASE = timedelta(minutes=5)
# A job whose worker died this many times is given up.
MAX_ATTEMPTS = 3


class LostClaim(Exception):
    """The job is no longer this worker's: its lease ran out and another worker took it."""


@dataclass
class Outcome:
    """What a kind function hands back: an optional file, and whom to tell once it is stored."""

    file: Any = None  # a binary file object; closed after storing
    name: str = ""
    content_type: str = "application/octet-stream"
    on_done: Callable[[Job], None] | None = None


def job_kind(label):
    """Mark a function as one that may run as a job's kind; ``label`` names it on the job's page."""

    def mark(function):
        function.is_job_kind = True
        function.job_label = label
        return function

    return mark


def label(job):
    """What the job does, in words, for its page and the admin."""
    try:
        return _kind_function(job.kind).job_label
    except ValueError:
        return job.kind


def start(kind, *, params=None, created_by=None, total=None):
    """Queue a job in the caller's transaction; a worker runs it once that commits."""
    _kind_function(kind)  # a typo fails here, in the request, not later in a worker
    job = Job.objects.create(kind=kind, params=params or {}, created_by=created_by, total=total)
    # robust: a broker that is down must not fail the caller's committed work;
    # the periodic ``run_queued`` finds the row anyway.
    transaction.on_commit(lambda: _wake(job.pk), robust=True)
    return job


def _wake(job_id):
    if settings.EMBEDDED:
        return  # the in-process scheduler picks it up within ten seconds
    # By name (the task module imports this one). send_task needs no registry: a
    # web process has not imported the task modules, only workers have.
    current_app.send_task(RUN_TASK, args=[job_id])


def _kind_function(kind):
    try:
        function = import_string(kind)
    except ImportError as error:
        raise ValueError(f"unknown job kind {kind!r}") from error
    if not getattr(function, "is_job_kind", False):
        raise ValueError(f"{kind!r} is not marked with @job_kind")
    return function


def _claimable(now):
    return Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, lease_until__lt=now)


def run(job_id, *, now=None):
    """Claim and run one job; returns its final status, or None when it was not claimable."""
    now = clock.now() if now is None else now
    seen = Job.objects.filter(pk=job_id).filter(_claimable(now)).values_list("attempts").first()
    if seen is None:
        return None  # done, failed, or running in a live worker
    (attempts,) = seen
    if attempts >= MAX_ATTEMPTS:
        # Its worker died every time (killed, out of memory): stop trying.
        Job.objects.filter(pk=job_id, attempts=attempts).filter(_claimable(now)).update(
            status=Job.Status.FAILED,
            finished_at=now,
            lease_until=None,
            error=_("任务多次中断，已停止重试。"),
        )
        return Job.Status.FAILED
    token = attempts + 1
    claimed = (
        Job.objects.filter(pk=job_id, attempts=attempts)
        .filter(_claimable(now))
        .update(
            status=Job.Status.RUNNING,
            attempts=token,
            started_at=now,
            lease_until=now + LEASE,
        )
    )
    if not claimed:
        return None  # another worker won the race
    job = Job.objects.select_related("created_by").get(pk=job_id)
    try:
        function = _kind_function(job.kind)
        outcome = function(job, _Progress(job, token))
    except LostClaim:
        log.warning("job %s was taken over by another worker", job_id)
        return None
    except Exception as error:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _finish(job, token, status=Job.Status.FAILED, error=f"{type(error).__name__}: {error}")
        return Job.Status.FAILED
    return _complete(job, token, outcome or Outcome())


def run_queued(limit=10):
    """The periodic sweep: run up to ``limit`` claimable jobs, oldest first; returns their ids."""
    now = clock.now()
    candidates = list(
        Job.objects.filter(_claimable(now)).order_by("created_at", "id").values_list("pk")[:limit]
    )
    ran = []
    for (job_id,) in candidates:
        if run(job_id) is not None:
            ran.append(job_id)
    return ran


class _Progress:
    """The ``progress(done, total=None)`` a kind function reports through."""

    def __init__(self, job, token):
        self.job, self.token = job, token

    def __call__(self, done, total=None):
        fields = {"done": done, "lease_until": clock.now() + LEASE}
        if total is not None:
            fields["total"] = total
        mine = Job.objects.filter(
            pk=self.job.pk, attempts=self.token, status=Job.Status.RUNNING
        ).update(**fields)
        if not mine:
            raise LostClaim(self.job.pk)
        self.job.done = done
        if total is not None:
            self.job.total = total


def _complete(job, token, outcome):
    """Store the outcome's file and mark the job done, telling whom ``on_done`` tells."""
    stored = ""
    if outcome.file is not None:
        try:
            stored = job.result.storage.save(
                job.result.field.generate_filename(job, outcome.name or "result"),
                File(outcome.file),
            )
        finally:
            outcome.file.close()
    with transaction.atomic():
        finished = _finish(
            job,
            token,
            status=Job.Status.DONE,
            result=stored,
            result_name=outcome.name,
            result_type=outcome.content_type if stored else "",
        )
        if finished and outcome.on_done is not None:
            job.refresh_from_db()
            outcome.on_done(job)
    if not finished and stored:
        job.result.storage.delete(stored)  # another worker's run owns the job now
    return Job.Status.DONE if finished else None


def _finish(job, token, *, status, **fields):
    now = clock.now()
    if status == Job.Status.DONE:
        # What was counted at the start may have grown or shrunk since: the last report wins.
        fields["done"] = fields["total"] = job.done or job.total or 0
    return Job.objects.filter(pk=job.pk, attempts=token, status=Job.Status.RUNNING).update(
        status=status, finished_at=now, lease_until=None, **fields
    )


# A finished job's file is kept this long for its creator to download; its row, longer.
RESULTS_KEPT = timedelta(days=7)
ROWS_KEPT = timedelta(days=90)


def clear_old(now=None):
    """Remove the files of jobs finished over ``RESULTS_KEPT`` ago, and the rows past ``ROWS_KEPT``.

    Returns ``{"files": n, "rows": n}``. A file is removed from storage before its
    row forgets it, so a crash in between leaves a row pointing at nothing
    (its download is a 404), never a file nobody can reach.
    """
    now = clock.now() if now is None else now
    finished = Job.objects.filter(status__in=[Job.Status.DONE, Job.Status.FAILED])
    files = 0
    for job in finished.filter(finished_at__lt=now - RESULTS_KEPT).exclude(result=""):
        job.result.storage.delete(job.result.name)
        Job.objects.filter(pk=job.pk).update(result="")
        files += 1
    rows, _detail = finished.filter(finished_at__lt=now - ROWS_KEPT).delete()
    return {"files": files, "rows": rows}


def access_job_for_user(user, job_id):
    """The job if ``user`` started it; otherwise ``Http404`` (another's job is not known to exist)."""
    try:
        return Job.objects.get(pk=int(job_id), created_by_id=user.pk, created_by__isnull=False)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def job_page_url(job):
    return reverse("job-page", args=[job.pk])


def job_api_url(job):
    return reverse("api-job", args=[job.pk])


def job_download_url(job):
    return reverse("api-job-download", args=[job.pk]) if job.result else None


def failure_words():
    """What the creator is told of a failed job, on its page and in the API."""
    return _("任务失败，请稍后重试或联系管理员。")


def as_json(job):
    """A job as the API shows it: where it stands, where to poll, and the file once done."""
    return {
        "id": job.pk,
        "status": job.status,
        "progress": {"done": job.done, "total": job.total, "percent": job.percent},
        "created_at": clock.local(job.created_at).isoformat(),
        "finished_at": clock.local(job.finished_at).isoformat() if job.finished_at else None,
        # What went wrong stays in the row, for the admin: an exception's text can
        # name a server path or a query, which the creator has no use for.
        "error": failure_words() if job.status == Job.Status.FAILED else "",
        "url": job_api_url(job),
        "page": job_page_url(job),
        "download": job_download_url(job) if job.status == Job.Status.DONE else None,
    }
