"""The periodic jobs of the platform, in one list.

Production runs them through Celery beat (``qitong.celery`` builds its
schedule from ``JOBS``); the embedded deployment runs the very same task
functions from ``qitong serve`` (``qitong.core.scheduler``). Every job is an
idempotent sweep, so running one late, twice, or on two nodes at once is safe.
"""

from dataclasses import dataclass
from datetime import timedelta

from qitong import env


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a Celery shared task
    every: timedelta
    # The embedded scheduler runs each lane in its own thread, so that a long job
    # (a crawl cycle, an export, a first count of the figures) never holds up
    # the sweep's minute; jobs of one lane run one after another.
    lane: str = "main"


JOBS = [
    Job("appeal-sweep", "qitong.appeals.tasks.sweep", timedelta(minutes=1)),
    Job(
        "refresh-figures",
        "qitong.appeals.tasks.refresh_figures",
        timedelta(minutes=5),
        lane="figures",
    ),
    # The units' monthly tallies for their scores; the previous month's bulletin is built
    # once, from the first working day of the month on.
    Job(
        "assessment-tallies",
        "qitong.assessment.tasks.refresh_tallies",
        timedelta(minutes=10),
        lane="figures",
    ),
    Job(
        "assessment-bulletin",
        "qitong.assessment.tasks.build_due_bulletin",
        timedelta(hours=1),
        lane="figures",
    ),
    Job("clear-expired-sessions", "qitong.core.tasks.clear_expired_sessions", timedelta(hours=1)),
    Job("deliver-email", "qitong.notify.tasks.deliver_email", timedelta(minutes=1)),
    # The 12345 callbacks (production also wakes a worker after each change's commit);
    # a lane of its own, since a receiver that is down holds each attempt up to its timeout.
    Job(
        "deliver-callbacks",
        "qitong.integrations.tasks.deliver_callbacks",
        timedelta(seconds=10),
        lane="callbacks",
    ),
    # Ranks each month once it is due (day ``Rules.close_day`` of the next), warns, sends digests.
    Job("project-months", "qitong.projects.tasks.close_months", timedelta(hours=1)),
    Job("clear-old-jobs", "qitong.core.tasks.clear_old_jobs", timedelta(hours=6)),
    # Links the audit rows that actions staged in their own transactions to the chain.
    Job(
        "seal-audit-trail",
        "qitong.audit.tasks.seal_records",
        timedelta(seconds=5),
        lane="audit",
    ),
    # Deletes audit rows past QITONG_AUDIT_RETENTION_DAYS (never under 180) and re-anchors the chain.
    Job("prune-audit-trail", "qitong.audit.tasks.prune_records", timedelta(hours=6)),
    Job(
        "clear-old-login-records",
        "qitong.orgs.tasks.clear_old_login_records",
        timedelta(hours=6),
    ),
    # Every 15 s: a new policy is to be searchable and pushed within 30 s of its publication,
    # and a cycle with nothing new costs one conditional request per source (bench/crawl.py).
    Job(
        "policy-crawl",
        "qitong.policies.tasks.crawl",
        timedelta(seconds=env.seconds("QITONG_CRAWL_EVERY_SECONDS", default=15, minimum=10)),
        lane="crawl",
    ),
    # The policy classifier learns again from the library's staff and rule categories.
    Job(
        "policy-classifier",
        "qitong.policies.tasks.train_classifier",
        timedelta(days=1),
        lane="crawl",
    ),
    # The dispatch suggestions learn again from the offices' dispatches and corrections.
    Job(
        "dispatch-retrain",
        "qitong.dispatch.tasks.retrain",
        timedelta(days=1),
        lane="crawl",
    ),
    # New policies to the enterprises they fit; the digest runs every quarter of an hour
    # and sends each day's e-mails once, from policies.actions.DIGEST_HOUR (08:00) on. Each
    # in a lane of its own: a province's morning digest takes minutes.
    Job(
        "policy-push",
        "qitong.policies.tasks.push_new_policies",
        timedelta(minutes=1),
        lane="push",
    ),
    Job(
        "policy-digest",
        "qitong.policies.tasks.send_digests",
        timedelta(minutes=15),
        lane="digest",
    ),
    # Background jobs (exports, recomputes): the embedded deployment's only road
    # to them, production's safety net for a lost message or a dead worker.
    Job(
        "run-queued-jobs",
        "qitong.core.tasks.run_queued_jobs",
        timedelta(seconds=10),
        lane="jobs",
    ),
]


def beat_schedule():
    return {job.name: {"task": job.task, "schedule": job.every} for job in JOBS}
