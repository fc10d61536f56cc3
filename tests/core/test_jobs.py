"""Background jobs: claimed once, progress kept, a dead worker's job picked up, the file for its creator only."""

import datetime as dt
import io
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client

from qitong.core import exports, jobs, tasks
from qitong.core.models import Job
from qitong.core.schedule import JOBS
from qitong.core.scheduler import Scheduler
from qitong.notify.models import Message
from qitong.notify.outbox import enqueue
from tests.conftest import client_for
from tests.core.test_background_work import redis_url  # noqa: F401 - a real Redis, as a fixture
from tests.processes import BIN, qitong, qitong_env, stop

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
COUNT = "tests.core.test_jobs.count_to"
DIES = "tests.core.test_jobs.dies_once"
BREAKS = "tests.core.test_jobs.breaks"
LOSES = "tests.core.test_jobs.loses_its_claim"
DIED = []


@jobs.job_kind("数到 N")
def count_to(job, progress):
    """Counts to ``params["n"]``, reporting each number, and stores the numbers as a file."""
    n = job.params["n"]
    for done in range(1, n + 1):
        progress(done, n)
    body = "\n".join(str(number) for number in range(1, n + 1)).encode()
    return jobs.Outcome(
        file=io.BytesIO(body), name="numbers.txt", content_type="text/plain", on_done=tell
    )


def tell(job):
    enqueue([job.created_by], kind="job_done", subject="完成", body="", url=jobs.job_page_url(job))


@jobs.job_kind("第一次中途死掉")
def dies_once(job, progress):
    progress(1, 2)
    if job.attempts == 1:
        DIED.append(job.pk)
        raise KeyboardInterrupt  # like a worker killed mid-run: nothing is caught, nothing finished
    progress(2, 2)


@jobs.job_kind("出错")
def breaks(job, progress):
    raise ValueError("数据有误")


@jobs.job_kind("被接管")
def loses_its_claim(job, progress):
    # Another worker took the job over meanwhile (as after a lease ran out).
    Job.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
    progress(1, 1)


def not_a_kind(job, progress):
    return None


def test_a_job_runs_once_with_its_progress_and_tells_its_creator(office_user):
    job = jobs.start(COUNT, params={"n": 3}, created_by=office_user)
    assert job.status == Job.Status.QUEUED

    assert jobs.run(job.pk) == Job.Status.DONE
    assert jobs.run(job.pk) is None  # done: nothing to claim
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == ("done", 3, 3, 1)
    assert job.result.read() == b"1\n2\n3"
    assert job.result_name == "numbers.txt"
    message = Message.objects.get(recipient=office_user, kind="job_done")
    assert message.url == f"/jobs/{job.pk}/"


def test_only_a_marked_function_can_be_a_kind(office_user):
    with pytest.raises(ValueError):
        jobs.start("tests.core.test_jobs.not_a_kind", created_by=office_user)
    with pytest.raises(ValueError):
        jobs.start("os.system", created_by=office_user)
    # A row written by other means is refused when run, not executed.
    job = Job.objects.create(kind="tests.core.test_jobs.not_a_kind", created_by=office_user)
    assert jobs.run(job.pk) == Job.Status.FAILED


def test_a_job_whose_worker_died_is_picked_up_again_after_its_lease(office_user):
    with time_machine.travel(START, tick=False):
        job = jobs.start(DIES, created_by=office_user)
        with pytest.raises(KeyboardInterrupt):
            jobs.run_queued()
        job.refresh_from_db()
        assert (job.status, job.done, job.attempts) == ("running", 1, 1)
        assert jobs.run_queued() == []  # its lease still holds: no second worker takes it
    with time_machine.travel(START + jobs.LEASE + dt.timedelta(seconds=1), tick=False):
        assert jobs.run_queued() == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.attempts) == ("done", 2, 2, 2)
    assert DIED.count(job.pk) == 1


def test_a_job_that_keeps_dying_is_given_up(office_user):
    job = jobs.start(DIES, created_by=office_user)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=jobs.MAX_ATTEMPTS, lease_until=START
    )
    with time_machine.travel(START + dt.timedelta(seconds=1), tick=False):
        assert jobs.run(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.status == "failed" and job.error


def test_an_error_fails_the_job_once_and_keeps_why(office_user):
    job = jobs.start(BREAKS, created_by=office_user)
    assert jobs.run_queued() == [job.pk]
    job.refresh_from_db()
    assert job.status == "failed"
    assert "数据有误" in job.error
    assert jobs.run_queued() == []  # not retried


def test_a_worker_that_lost_its_claim_stops_and_stores_nothing(office_user):
    job = jobs.start(LOSES, created_by=office_user)
    assert jobs.run(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == ("running", 0, 2)  # the other worker's


def test_two_workers_racing_for_one_job_run_it_once(office_user):
    job = jobs.start(COUNT, params={"n": 1}, created_by=office_user)
    seen = Job.objects.get(pk=job.pk).attempts
    # The first worker claims it between the second's read and its update.
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=seen + 1, lease_until=START.replace(year=2100)
    )
    assert jobs.run(job.pk) is None


def test_the_embedded_scheduler_runs_queued_jobs(office_user):
    (entry,) = [job for job in JOBS if job.task == "qitong.core.tasks.run_queued_jobs"]
    assert entry.every <= dt.timedelta(seconds=10)
    job = jobs.start(COUNT, params={"n": 2}, created_by=office_user)
    assert Scheduler([entry], clock=lambda: 0).run_due() == [entry.name]
    job.refresh_from_db()
    assert job.status == "done"


def test_only_the_creator_sees_the_job_and_downloads_its_file(office_user, unit_user):
    job = jobs.start(COUNT, params={"n": 2}, created_by=office_user)
    mine, theirs = client_for(office_user), client_for(unit_user)

    body = mine.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "queued" and body["download"] is None
    assert body["url"] == f"/api/v1/jobs/{job.pk}"
    assert mine.get(f"/api/v1/jobs/{job.pk}/download").status_code == 404  # not done yet

    jobs.run(job.pk)
    body = mine.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "done"
    assert body["progress"] == {"done": 2, "total": 2, "percent": 100}
    response = mine.get(body["download"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"1\n2"
    assert "numbers.txt" in response["Content-Disposition"]

    assert theirs.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert theirs.get(f"/api/v1/jobs/{job.pk}/download").status_code == 404
    assert Client().get(f"/api/v1/jobs/{job.pk}").status_code in (401, 403)


def test_the_job_page_refreshes_while_running_and_offers_the_file_once_done(office_user, unit_user):
    job = jobs.start(COUNT, params={"n": 2}, created_by=office_user)
    browser = Client()
    browser.force_login(office_user)
    page = browser.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "数到 N" in page

    jobs.run(job.pk)
    page = browser.get(f"/jobs/{job.pk}/").content.decode()
    assert "hx-trigger" not in page
    assert f'href="/api/v1/jobs/{job.pk}/download"' in page

    other = Client()
    other.force_login(unit_user)
    assert other.get(f"/jobs/{job.pk}/").status_code == 404


def test_the_admin_lists_jobs_with_their_progress_read_only(admin_user, office_user):
    job = Job.objects.create(kind=COUNT, created_by=office_user, done=5, total=10)
    job.result.save("x.txt", ContentFile(b"x"), save=True)
    browser = Client()
    browser.force_login(admin_user)
    page = browser.get("/admin/core/job/").content.decode()
    assert "5 / 10（50%）" in page and "数到 N" in page
    assert browser.get("/admin/core/job/add/").status_code == 403
    assert settings.MEDIA_ROOT  # results live in the default storage, not in a public folder


def test_a_real_celery_worker_runs_a_job_sent_on_commit(tmp_path, redis_url):  # noqa: F811
    """Production's road end to end: Redis, a worker process, the job sent when its row commits."""
    env = qitong_env(tmp_path, QITONG_REDIS_URL=redis_url, PYTHONPATH=str(ROOT))
    assert qitong("migrate", env=env).returncode == 0
    worker = subprocess.Popen(
        [
            *(str(BIN / "celery"), "-A", "qitong", "worker", "--pool", "solo"),
            *("--loglevel", "WARNING", "--without-gossip", "--without-mingle"),
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = qitong(
            "shell",
            "-c",
            "from django.db import transaction\n"
            "from qitong.core import jobs\n"
            "from qitong.orgs.models import User\n"
            "user = User.objects.create(username='clerk', role='office')\n"
            "with transaction.atomic():\n"
            f"    job = jobs.start({COUNT!r}, params={{'n': 3}}, created_by=user)\n"
            "print(job.pk)\n",
            env=env,
        )
        assert started.returncode == 0, started.stderr
        assert "Error calling" not in started.stderr, started.stderr  # the send did not fail
        job_id = int(started.stdout.split()[-1])
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and status != "done":
            time.sleep(0.5)
            with sqlite3.connect(tmp_path / "qitong.db") as db:
                status, done, result = db.execute(
                    "SELECT status, done, result FROM core_job WHERE id = ?", (job_id,)
                ).fetchone()
    finally:
        stop(worker)
    assert (status, done) == ("done", 3)
    assert (tmp_path / "uploads" / result).read_bytes() == b"1\n2\n3"


def test_old_results_are_removed_after_a_week_and_old_rows_after_ninety_days(office_user):
    with time_machine.travel(START, tick=False):
        kept = jobs.start(COUNT, params={"n": 1}, created_by=office_user)
        jobs.run(kept.pk)
    with time_machine.travel(START - dt.timedelta(days=8), tick=False):
        stale = jobs.start(COUNT, params={"n": 1}, created_by=office_user)
        jobs.run(stale.pk)
    with time_machine.travel(START - dt.timedelta(days=91), tick=False):
        ancient = jobs.start(COUNT, params={"n": 1}, created_by=office_user)
        jobs.run(ancient.pk)
    stale.refresh_from_db()
    stale_file = stale.result.name
    assert stale.result.storage.exists(stale_file)

    assert jobs.clear_old(now=START) == {"files": 2, "rows": 1}
    stale.refresh_from_db()
    kept.refresh_from_db()
    assert not stale.result and not stale.result.storage.exists(stale_file)
    assert kept.result and kept.result.storage.exists(kept.result.name)
    assert not Job.objects.filter(pk=ancient.pk).exists()
    # The creator's download of a removed file is a 404, not an error.
    assert client_for(office_user).get(f"/api/v1/jobs/{stale.pk}/download").status_code == 404
    assert jobs.clear_old(now=START) == {"files": 0, "rows": 0}
    assert "qitong.core.tasks.clear_old_jobs" in {job.task for job in JOBS}


def test_a_download_not_ready_is_a_json_404_whatever_the_client_accepts(office_user):
    job = jobs.start(COUNT, params={"n": 1}, created_by=office_user)
    response = client_for(office_user).get(
        f"/api/v1/jobs/{job.pk}/download", HTTP_ACCEPT="application/octet-stream"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"


def test_the_creator_is_told_a_job_failed_without_the_exceptions_text(office_user):
    job = jobs.start(BREAKS, created_by=office_user)
    jobs.run(job.pk)
    body = client_for(office_user).get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "failed"
    assert body["error"] == "任务失败，请稍后重试或联系管理员。"
    browser = Client()
    browser.force_login(office_user)
    page = browser.get(f"/jobs/{job.pk}/").content.decode()
    assert "任务失败，请稍后重试或联系管理员。" in page
    assert "ValueError" not in page and "数据有误" not in page
    assert "数据有误" in Job.objects.get(pk=job.pk).error  # kept for the admin


def test_the_periodic_clearing_also_takes_what_killed_exports_left(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    left = exports.scratch_dir() / "tmp_row_file"
    left.write_bytes(b"<row/>")
    long_ago = (START - exports.SCRATCH_KEPT * 2).timestamp()
    os.utime(left, (long_ago, long_ago))
    with time_machine.travel(START, tick=False):
        assert tasks.clear_old_jobs() == {"files": 0, "rows": 0, "scratch": 1}
    assert not left.exists()
