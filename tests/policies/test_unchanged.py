"""An unchanged cycle: a source's first list page is asked conditionally on a bare connection
(``Fetcher._unchanged``), and only a page that is not a clean 304 is asked again in full."""

import pytest

from qitong.policies import crawler
from qitong.policies.models import Page, Policy, PolicySource
from tests.policies.conftest import add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db

BODY = "一、对企业技术改造项目按设备投资额给予补助。\n二、支持企业研发投入。\n" * 8
ETAG = '"list-1"'
MODIFIED = "Tue, 01 Dec 2026 00:00:00 GMT"


def publish(site, *titles, etag=ETAG, modified=MODIFIED):
    """The list of ``titles``, newest first; each policy's page at an address of its own."""
    links = [(f"/doc/{len(titles) - index}.html", title) for index, title in enumerate(titles)]
    site.page("/list", list_page(links), etag=etag, last_modified=modified)
    for href, title in links:
        number = href.split("/")[-1].split(".")[0]
        site.page(href, detail_page(title, BODY, number=f"济工信发〔2026〕{number}号"))


def read_a_while_ago():
    """As if the list pages had last been read in full before ``crawler.PROBE_AFTER``."""
    for page in Page.objects.filter(kind=Page.Kind.LIST):
        Page.objects.filter(pk=page.pk).update(fetched_at=page.fetched_at - crawler.PROBE_AFTER * 2)


def list_requests(site, since=0):
    return [headers for path, headers in site.requests[since:] if path == "/list"]


def test_an_unchanged_list_costs_one_conditional_request(site):
    publish(site, "关于支持技术改造的通知")
    add_source(site)
    assert crawl()["new"] == 1
    read_a_while_ago()
    before = len(site.requests)
    summary = crawl()
    assert (summary["fetched"], summary["new"], summary["errors"]) == (0, 0, 0)
    (asked,) = list_requests(site, before)
    assert asked["Connection"] == "close"  # the probe's: the answer's head, then closed
    assert asked["If-None-Match"] == ETAG and asked["If-Modified-Since"] == MODIFIED
    assert asked["User-Agent"] == crawler.USER_AGENT
    assert asked["Host"] == f"127.0.0.1:{site.port}"
    assert len(site.requests) == before + 1  # nothing else: no robots.txt, no detail


def test_a_changed_list_is_asked_again_in_full_and_its_new_entry_read(site):
    publish(site, "关于支持技术改造的通知")
    add_source(site)
    crawl()
    later = "Wed, 02 Dec 2026 00:00:00 GMT"
    publish(site, "关于稳岗补贴的通知", "关于支持技术改造的通知", etag='"list-2"', modified=later)
    read_a_while_ago()
    before = len(site.requests)
    assert crawl()["new"] == 1
    probe, full = list_requests(site, before)
    assert (probe["Connection"], full["Connection"]) == ("close", "keep-alive")
    assert probe["If-None-Match"] == full["If-None-Match"] == ETAG
    assert Policy.objects.filter(title="关于稳岗补贴的通知").exists()
    list_page_row = Page.objects.get(kind=Page.Kind.LIST)
    assert list_page_row.etag == '"list-2"'  # the full answer's validators are kept


def test_a_list_that_now_redirects_is_followed_as_always(site):
    publish(site, "关于支持技术改造的通知")
    add_source(site)
    crawl()
    read_a_while_ago()
    moved = list_page([("/doc/1.html", "关于支持技术改造的通知"), ("/doc/9.html", "新的通知")])
    site.page("/list", "", status=301, headers={"Location": "/new-list"}, content_type="")
    site.page("/new-list", moved)
    site.page("/doc/9.html", detail_page("新的通知", BODY, number="济工信发〔2026〕9号"))
    assert crawl()["new"] == 1
    assert site.hits["/new-list"] == 1


def test_a_site_that_is_gone_fails_its_source_as_the_client_would(sites):
    site = sites()
    publish(site, "关于支持技术改造的通知")
    source = add_source(site)
    crawl()
    read_a_while_ago()
    site.stop()
    assert crawl()["errors"] == 1
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert source.last_error.startswith("网络错误 ConnectError")


def test_the_probe_of_a_public_source_connects_to_public_addresses_only(site):
    """``127.1`` is not written as an address, yet resolves to loopback: refused when connecting."""
    publish(site, "关于支持技术改造的通知")
    url = f"http://127.1:{site.port}/list"
    source = PolicySource.objects.create(
        name="名字指向内网的来源", list_url=url, link_selector="ul.list a"
    )
    # As if a cycle had read it before: its list page is asked conditionally, by the probe.
    Page.objects.create(
        source=source, url=f"//127.1:{site.port}/list", kind=Page.Kind.LIST, etag=ETAG
    )
    read_a_while_ago()
    assert crawl()["new"] == 0
    assert "内部网络" in PolicySource.objects.get(pk=source.pk).last_error
    assert not site.hits


def test_a_list_read_in_full_a_moment_ago_goes_to_the_client_directly(site):
    """A page that changes often, or never answers 304, is not asked twice every cycle."""
    publish(site, "关于支持技术改造的通知")
    add_source(site)
    crawl()  # read in full just now
    before = len(site.requests)
    crawl()
    (asked,) = list_requests(site, before)
    assert asked["Connection"] == "keep-alive"  # the client's request, not the probe's
    read_a_while_ago()  # not read in full for a while: likely unchanged, the probe asks first
    before = len(site.requests)
    crawl()
    (asked,) = list_requests(site, before)
    assert asked["Connection"] == "close"
