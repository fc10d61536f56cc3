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
    assert env.seconds("QITONG_CRAWL_EVERY_SECONDS", default=15, minimum=10) == 15


@pytest.mark.django_db
def test_a_cycle_that_found_a_new_policy_pushes_it_at_once(site, enterprise):
    """Not at the push job's next minute: the crawl task itself pushes what it found."""
    from qitong.policies.models import Policy, Push
    from tests.policies.conftest import add_source, detail_page, list_page

    title = "关于支持企业技术改造和设备更新的通知"
    body = "一、对企业技术改造项目按设备投资额给予补助，支持设备更新。\n" * 12
    site.page("/list", list_page([("/doc/1.html", title)]))
    site.page("/doc/1.html", detail_page(title, body, number="济工信发〔2026〕1号"))
    add_source(site)
    summary = tasks.crawl.run()
    assert summary["new"] == 1
    policy = Policy.objects.get()
    assert policy.category and policy.matched_at is not None  # classified, then matched
    assert list(Push.objects.values_list("policy", "enterprise")) == [(policy.pk, enterprise.pk)]
    assert tasks.crawl.run()["new"] == 0  # nothing new: nothing more is pushed
    assert Push.objects.count() == 1
