"""The crawl runs every 15 seconds (configurable) in both deployments."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from qitong import env
from qitong.core.schedule import JOBS
from qitong.policies import tasks
from qitong.policies.models import CrawlRun


def test_the_crawl_is_a_scheduled_job_every_15_seconds():
    (job,) = [job for job in JOBS if job.task == "qitong.policies.tasks.crawl"]
    assert job.every == timedelta(seconds=15)
    assert tasks.crawl.name == job.task


@pytest.mark.django_db
def test_the_task_runs_one_cycle():
    summary = tasks.crawl.run()
    assert summary["sources"] == 0
    assert CrawlRun.objects.get().finished_at is not None


def test_the_interval_is_read_strictly(monkeypatch):
    monkeypatch.setenv("QITONG_CRAWL_EVERY_SECONDS", "600")
    assert env.seconds("QITONG_CRAWL_EVERY_SECONDS", default=15, minimum=10) == 600
    for wrong in ("5", "abc", "-60", "1.5"):
        monkeypatch.setenv("QITONG_CRAWL_EVERY_SECONDS", wrong)
        with pytest.raises(ImproperlyConfigured, match="QITONG_CRAWL_EVERY_SECONDS"):
            env.seconds("QITONG_CRAWL_EVERY_SECONDS", default=15, minimum=10)
    monkeypatch.delenv("QITONG_CRAWL_EVERY_SECONDS")
    assert env.seconds("QITONG_CRAWL_EVERY_SECONDS", default=180, minimum=30) == 180
