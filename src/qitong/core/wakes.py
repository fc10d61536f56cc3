"""Waking a Celery task after commits, at most twice per interval and process.

``Waker(task)`` is called after a commit (``transaction.on_commit``): the first
call sends the task at once, then none for ``every`` but a single delayed one,
due when that time is up, which does whatever committed meanwhile (the one
sent at once may have run before this commit). Under a hundred commits a
second that is at most eight wakes a second instead of a hundred, each a
publish to Redis and a task run that handles everything due; the periodic job
stays the net.

The task goes by name, through a signature: a web process never imports the
task modules, so the task is not in its registry and the signature sends the
message by name; where it is registered (a worker, the tests) it goes through
the task. Nobody reads a wake's result (``ignore_result``: otherwise each wake
would also subscribe to a result channel). A broker that is down costs the
caller kombu's publish retries (about 0.7 s; ``retry=False`` made it 6 s, each
publish then opening a new connection that redis-py itself retries); the
failure is logged and the periodic job sends what the lost wake would have.
After a failed publish the waker rests for ``rest`` (1 s): while the broker is
down, one commit in that time pays the retries, not every commit.
"""

import threading
from datetime import timedelta

from celery import current_app
from django.conf import settings

from qitong.core import clock


class Waker:
    def __init__(self, task, every=timedelta(milliseconds=250), rest=timedelta(seconds=1)):
        self.task = task
        self.every = every
        self.rest = rest
        self._lock = threading.Lock()
        # on_commit(robust=True) names the callable that failed by its __qualname__.
        self.__qualname__ = self.__name__ = f"Waker({task})"
        self.reset()

    def reset(self):
        """Forget the wakes sent (a new process's state; for tests)."""
        self.next = None  # when a wake may be sent at once again
        self.delayed = None  # when the delayed wake sent is due
        self.resting = None  # until when no wake is sent: the last publish failed

    def __call__(self):
        if settings.EMBEDDED:
            return  # the embedded scheduler finds the work within its interval
        now = clock.now()
        with self._lock:
            if self.resting is not None and self.resting - self.rest <= now < self.resting:
                return  # the broker failed a moment ago: the periodic job is the net
            due = self.next
            if due is None or not due - self.every <= now < due:  # (or the clock went back)
                self.next, countdown = now + self.every, None
            elif self.delayed == due:
                return  # the delayed wake is due after this commit: it does this work too
            else:
                self.delayed, countdown = due, (due - now).total_seconds()
        try:
            current_app.signature(self.task).apply_async(countdown=countdown, ignore_result=True)
        except Exception:
            with self._lock:
                self.resting = clock.now() + self.rest
            raise
