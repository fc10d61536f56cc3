"""The in-process scheduler of the embedded deployment.

``qitong serve`` without Redis starts it: each job of ``qitong.core.schedule.JOBS``
runs in this process, at its interval, by calling the Celery task's own
function directly (``task.run``), so both deployments run one code path. Each
lane of jobs (``Job.lane``) has a daemon thread of its own, so a crawl cycle of
minutes or a large export never holds up the sweep's minute.
"""

import logging
import threading
import time

from django.db import close_old_connections
from django.utils.module_loading import import_string

from qitong.core.schedule import JOBS

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, jobs=JOBS, *, clock=time.monotonic):
        self.jobs = list(jobs)
        self.clock = clock
        self.next_run = {job.name: 0.0 for job in self.jobs}
        self._stop = threading.Event()
        self.threads = []

    @property
    def lanes(self):
        return sorted({job.lane for job in self.jobs})

    def run_due(self, lane=None):
        """Run every job (of ``lane``, or of all lanes) whose time has come; returns the names run."""
        ran = []
        for job in self.jobs:
            if lane is not None and job.lane != lane:
                continue
            if self.clock() < self.next_run[job.name]:
                continue
            self.next_run[job.name] = self.clock() + job.every.total_seconds()
            try:
                import_string(job.task).run()
            except Exception:
                log.exception("scheduled job %s failed", job.name)
            ran.append(job.name)
        return ran

    def start(self):
        """One daemon thread per lane."""
        for lane in self.lanes:
            thread = threading.Thread(
                target=self._loop, args=(lane,), name=f"qitong-scheduler-{lane}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self):
        self._stop.set()

    def _loop(self, lane):
        while not self._stop.is_set():
            # Each thread keeps its own connection: drop it when broken or stale.
            close_old_connections()
            self.run_due(lane)
            close_old_connections()
            self._stop.wait(5)
