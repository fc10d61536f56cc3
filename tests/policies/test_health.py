"""A failing source backs off, doubling its wait, and is flagged after repeated failures."""

import datetime as dt

import pytest

from qitong.core import clock
from qitong.policies import actions, crawler
from qitong.policies.models import PolicySource
from tests.policies.conftest import Route, add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db


def test_a_failing_source_backs_off_exponentially_and_is_flagged(site, time_machine):
    site.routes["/list"] = Route(status=503)
    source = add_source(site)
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    waits = []
    for _attempt in range(actions.FLAG_AFTER):
        crawl()
        source.refresh_from_db()
        waits.append(source.backoff_until - clock.now())
        assert source.flagged == (source.consecutive_failures >= actions.FLAG_AFTER)
        # While it waits, a cycle passes it by…
        assert crawler.due_sources() == []
        time_machine.move_to(source.backoff_until, tick=False)
    assert waits == [actions.BACKOFF_FIRST * 2**n for n in range(actions.FLAG_AFTER)]
    assert source.flagged
    assert "HTTP 503" in source.last_error


def test_the_wait_never_exceeds_a_day(site):
    site.routes["/list"] = Route(status=500)
    source = add_source(site)
    PolicySource.objects.filter(pk=source.pk).update(consecutive_failures=30)
    crawl(source.pk)
    source.refresh_from_db()
    assert source.backoff_until - source.last_run_at == actions.BACKOFF_MOST


def test_a_success_clears_the_failures_and_the_flag(site):
    site.page("/list", list_page([("/doc/1.html", "通知")]))
    site.page("/doc/1.html", detail_page("通知", "一、支持企业技术改造。" * 20))
    source = add_source(site)
    PolicySource.objects.filter(pk=source.pk).update(
        consecutive_failures=7, flagged=True, backoff_until=clock.now() + dt.timedelta(hours=1)
    )
    assert crawler.due_sources() == []
    crawl(source.pk)  # named explicitly: run despite the backoff
    source.refresh_from_db()
    assert (source.consecutive_failures, source.flagged, source.backoff_until) == (0, False, None)
    assert source.last_success_at is not None


def test_a_disabled_source_is_not_crawled(site):
    source = add_source(site)
    actions.disable_source(source.pk, acting_user=actions.COMMAND_LINE)
    summary = crawl()
    assert summary["sources"] == 0
    assert site.hits["/list"] == 0
