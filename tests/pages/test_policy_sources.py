"""The keepers' pages of the crawler: the sources with their health, the runs and a run's report.

The health shown is the crawler's own: real cycles against real sites on
loopback (``tests/policies/conftest.Site``), one that answers and one that
fails until it is flagged.
"""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from qitong.core import clock
from qitong.policies import actions
from qitong.policies.models import CrawlRun, PolicySource
from tests.policies.conftest import Site, add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def farm():
    """Two loopback sites: one publishing two policies, one whose list always fails."""
    good, bad = Site(), Site()
    good.page(
        "/list",
        list_page(
            [("/doc/1.html", "关于支持技术改造的通知"), ("/doc/2.html", "关于稳岗补贴的通知")]
        ),
    )
    good.page("/doc/1.html", detail_page("关于支持技术改造的通知", "一、支持企业技术改造。" * 20))
    good.page("/doc/2.html", detail_page("关于稳岗补贴的通知", "二、发放稳岗补贴资金。" * 20))
    bad.page("/list", "服务器错误", status=500)
    yield good, bad
    good.stop()
    bad.stop()


@pytest.fixture
def crawled(farm):
    """The good source read once; the bad one failed five times in a row: flagged."""
    good, bad = farm
    healthy = add_source(good, name="济南市工业和信息化局")
    failing = add_source(bad, name="某区政府文件")
    crawl()
    for _ in range(actions.FLAG_AFTER - 1):
        crawl(failing.pk)  # named: read despite its backoff
    healthy.refresh_from_db()
    failing.refresh_from_db()
    assert failing.flagged and failing.consecutive_failures == actions.FLAG_AFTER
    return healthy, failing


def _page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _rows(page, kind="source"):
    return [int(pk) for pk in re.findall(rf'data-testid="{kind}-(\d+)"', page)]


def _row(page, kind, pk):
    match = re.search(rf'<tr data-testid="{kind}-{pk}"[^>]*>(.*?)</tr>', page, re.S)
    return match.group(0)


def test_keepers_see_every_source_with_its_health_the_flagged_first(
    client, office_user, admin_user, crawled
):
    healthy, failing = crawled
    for user in (office_user, admin_user):
        client.force_login(user)
        page = _page(client, "/office/policy-sources/")
        assert _rows(page) == [failing.pk, healthy.pk]
        flagged = _row(page, "source", failing.pk)
        assert 'class="flagged"' in flagged and "需人工检查" in flagged
        assert f'<span class="late">{actions.FLAG_AFTER}</span>' in flagged
        assert "列表页返回 HTTP 500" in flagged  # its last error
        assert failing.list_url in flagged
        assert "HTML 列表页" in flagged
        until = f"{clock.local(failing.backoff_until):%Y-%m-%d %H:%M}"
        assert f'<span class="soon">{until}</span>' in flagged  # backing off until then
        fine = _row(page, "source", healthy.pk)
        assert 'class="flagged"' not in fine
        assert re.search(r'data-label="政策数">2</td>', fine)  # the two policies read through it
        assert re.search(r'data-testid="count-total"[^>]*>[^<]*<span class="number">2<', page)
        assert re.search(r'data-testid="count-flagged"[^>]*>[^<]*<span class="number">1<', page)
        assert re.search(r'data-testid="count-backing-off"[^>]*>[^<]*<span class="number">1<', page)


def test_the_filter_shows_the_flagged_sources_only(client, office_user, crawled):
    healthy, failing = crawled
    client.force_login(office_user)
    assert _rows(_page(client, "/office/policy-sources/", flagged="on")) == [failing.pk]
    assert _rows(_page(client, "/office/policy-sources/")) == [failing.pk, healthy.pk]


def test_a_keeper_disables_and_enables_a_source_from_the_page(client, office_user, crawled):
    healthy, failing = crawled
    client.force_login(office_user)
    back_to = "/office/policy-sources/?flagged=on"
    response = client.post(
        f"/office/policy-sources/{healthy.pk}/disable/", {"next": "/office/policy-sources/"}
    )
    assert response.status_code == 302 and response["Location"] == "/office/policy-sources/"
    assert not PolicySource.objects.get(pk=healthy.pk).enabled
    page = _page(client, "/office/policy-sources/")
    assert "已停用来源“济南市工业和信息化局”。" in page
    assert "停用" in _row(page, "source", healthy.pk)
    assert crawl()["sources"] == 0  # neither is due: one disabled, one backing off

    response = client.post(f"/office/policy-sources/{failing.pk}/enable/", {"next": back_to})
    assert response["Location"] == back_to
    failing.refresh_from_db()
    assert failing.enabled and not failing.flagged
    assert (failing.consecutive_failures, failing.backoff_until) == (0, None)
    assert _rows(_page(client, "/office/policy-sources/", flagged="on")) == []
    client.post(f"/office/policy-sources/{healthy.pk}/enable/")
    assert PolicySource.objects.get(pk=healthy.pk).enabled


def test_a_source_that_is_gone_is_reported_not_a_crash(client, office_user, crawled):
    client.force_login(office_user)
    response = client.post("/office/policy-sources/999999/disable/", follow=True)
    assert "政策来源 999999 不存在。" in response.content.decode()
    assert client.post(f"/office/policy-sources/{crawled[0].pk}/delete/").status_code == 404


def test_others_get_403_and_change_nothing(
    client, unit_user, enterprise_user, leader_user, office_user, crawled
):
    healthy, failing = crawled
    run = CrawlRun.objects.first()
    pages = ["/office/policy-sources/", "/office/policy-runs/", f"/office/policy-runs/{run.pk}/"]
    for user in (unit_user, enterprise_user, leader_user):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 403
        assert client.post(f"/office/policy-sources/{healthy.pk}/disable/").status_code == 403
        assert client.post(f"/office/policy-sources/{failing.pk}/enable/").status_code == 403
    assert PolicySource.objects.get(pk=healthy.pk).enabled
    assert PolicySource.objects.get(pk=failing.pk).flagged
    client.logout()
    assert client.get(pages[0]).status_code == 302
    # the same pages open for a keeper: the 403s were the gate, not missing pages
    client.force_login(office_user)
    for url in pages:
        _page(client, url)


def test_the_actions_check_their_actor_and_the_command_line_is_trusted(
    unit_user, office_user, crawled
):
    healthy, failing = crawled
    with pytest.raises(PermissionDenied):
        actions.disable_source(healthy.pk, acting_user=unit_user)
    with pytest.raises(PermissionDenied):
        actions.enable_source(failing.pk, acting_user=unit_user)
    assert PolicySource.objects.get(pk=healthy.pk).enabled
    assert PolicySource.objects.get(pk=failing.pk).flagged
    call_command("policysource", "disable", str(healthy.pk))
    assert not PolicySource.objects.get(pk=healthy.pk).enabled
    actions.enable_source(healthy.pk, acting_user=office_user)
    assert PolicySource.objects.get(pk=healthy.pk).enabled


def test_the_runs_newest_first_with_their_counts(client, admin_user, crawled):
    client.force_login(admin_user)
    page = _page(client, "/office/policy-runs/")
    runs = list(CrawlRun.objects.all())
    assert _rows(page, "run") == [run.pk for run in runs]  # newest first
    first = runs[-1]  # both sources: two new policies, one error
    row = _row(page, "run", first.pk)
    assert (first.sources, first.new, first.errors) == (2, 2, 1)
    assert re.search(r'data-label="新增政策">2<', row)
    assert '<span class="late">1</span>' in row
    assert re.search(r'data-label="用时">[\d.]+ 秒<', row)
    assert f'href="/office/policy-runs/{first.pk}/"' in row


def test_a_runs_report_per_source_the_failing_first(client, office_user, crawled):
    healthy, failing = crawled
    first = CrawlRun.objects.last()
    client.force_login(office_user)
    page = _page(client, f"/office/policy-runs/{first.pk}/")
    assert _rows(page, "report") == [failing.pk, healthy.pk]
    assert "列表页返回 HTTP 500" in _row(page, "report", failing.pk)
    fine = _row(page, "report", healthy.pk)
    assert "济南市工业和信息化局" in fine and re.search(r'data-label="新增政策">2<', fine)
    assert re.search(r'data-label="抓取页数">3<', fine)  # the list and two details
    only = _page(client, f"/office/policy-runs/{first.pk}/", errors="on")
    assert _rows(only, "report") == [failing.pk]
    assert client.get("/office/policy-runs/999999/").status_code == 404


def test_the_menus_of_the_keepers_lead_to_the_pages(client, office_user, unit_user, crawled):
    client.force_login(office_user)
    page = _page(client, "/office/policy-runs/")
    assert 'href="/office/policy-sources/"' in page and 'href="/office/policy-runs/"' in page
    client.force_login(unit_user)
    page = _page(client, "/unit/cases/")
    assert 'href="/office/policy-sources/"' not in page


@pytest.mark.parametrize("count", [2, 30])
def test_the_sources_page_query_count_does_not_grow_with_the_page(
    client, office_user, count, django_assert_max_num_queries
):
    for number in range(count):
        actions.add_source(
            name=f"来源 {number}",
            list_url=f"http://gov{number}.example.cn/list",
            link_selector="ul a",
        )
    client.force_login(office_user)
    client.get("/office/policy-sources/")  # warm the session
    with django_assert_max_num_queries(8):
        page = _page(client, "/office/policy-sources/", page_size=50)
    assert len(_rows(page)) == count
