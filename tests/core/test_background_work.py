"""Background work: the same task functions through Celery (production) and in-process."""

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading

import pytest
from celery import Celery
from django.contrib.sessions.models import Session
from django.utils import timezone

from qitong.core.schedule import JOBS, Job, beat_schedule
from qitong.core.scheduler import Scheduler
from tests.processes import BIN, free_port, qitong, qitong_env, stop, wait_for_port


@pytest.fixture
def redis_url():
    """A real Redis on a free loopback port, with nothing kept on disk."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (make test installs it)"
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(process)


def _insert_session(db_path, key, expires):
    with sqlite3.connect(db_path) as db:
        db.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, '', ?)",
            (key, expires.strftime("%Y-%m-%d %H:%M:%S")),
        )


def test_a_real_celery_worker_runs_a_task_from_a_real_redis(tmp_path, redis_url):
    env = qitong_env(tmp_path, QITONG_REDIS_URL=redis_url)
    assert qitong("migrate", env=env).returncode == 0
    now = dt.datetime.now(dt.UTC)
    _insert_session(tmp_path / "qitong.db", "expired", now - dt.timedelta(days=1))
    _insert_session(tmp_path / "qitong.db", "alive", now + dt.timedelta(days=1))

    worker = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "qitong",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = Celery(broker=redis_url, backend=redis_url)
        result = client.send_task("qitong.core.tasks.clear_expired_sessions")
        assert result.get(timeout=90) == 1
    finally:
        stop(worker)
    with sqlite3.connect(tmp_path / "qitong.db") as db:
        assert [key for (key,) in db.execute("SELECT session_key FROM django_session")] == ["alive"]


def test_beat_runs_every_job_of_the_one_list():
    schedule = beat_schedule()
    assert set(schedule) == {job.name for job in JOBS}
    assert all(entry["task"].startswith("qitong.") for entry in schedule.values())


@pytest.mark.django_db
def test_the_embedded_scheduler_runs_due_jobs_once_per_interval():
    Session.objects.create(
        session_key="old", session_data="", expire_date=timezone.now() - dt.timedelta(hours=1)
    )
    ticks = iter([0, 0, 1, 3601, 3601])
    sessions_job = [job for job in JOBS if job.name == "clear-expired-sessions"]
    scheduler = Scheduler(sessions_job, clock=lambda: next(ticks))
    assert scheduler.run_due() == ["clear-expired-sessions"]
    assert not Session.objects.exists()
    assert scheduler.run_due() == []
    assert scheduler.run_due() == ["clear-expired-sessions"]


def test_the_celery_worker_imports_our_tasks():
    from qitong.celery import app

    app.loader.import_default_modules()
    assert "qitong.core.tasks.clear_expired_sessions" in app.tasks
    assert sys.modules.get("qitong.core.tasks") is not None


class _Task:
    """A stand-in for a Celery task: ``run`` is what the scheduler calls."""

    def __init__(self, run):
        self.run = run


SLOW_STARTED, SLOW_RELEASE, QUICK_RAN = threading.Event(), threading.Event(), threading.Event()
slow_task = _Task(lambda: (SLOW_STARTED.set(), SLOW_RELEASE.wait(10)))
quick_task = _Task(QUICK_RAN.set)


def test_a_long_job_in_its_own_lane_does_not_hold_up_the_others():
    slow = Job("slow", "tests.core.test_background_work.slow_task", dt.timedelta(hours=1), "crawl")
    quick = Job("quick", "tests.core.test_background_work.quick_task", dt.timedelta(hours=1))
    scheduler = Scheduler([slow, quick])
    assert scheduler.lanes == ["crawl", "main"]
    scheduler.start()
    try:
        assert SLOW_STARTED.wait(5)
        # The slow job is still running, and the main lane has run its job meanwhile.
        assert QUICK_RAN.wait(5)
        assert {thread.name for thread in scheduler.threads} == {
            "qitong-scheduler-crawl",
            "qitong-scheduler-main",
        }
    finally:
        SLOW_RELEASE.set()
        scheduler.stop()


def test_the_long_jobs_have_lanes_of_their_own():
    lanes = {job.name: job.lane for job in JOBS}
    assert lanes["appeal-sweep"] == lanes["deliver-email"] == "main"
    assert len({lanes["appeal-sweep"], lanes["policy-crawl"], lanes["run-queued-jobs"]}) == 3
    assert lanes["refresh-figures"] != lanes["appeal-sweep"]
