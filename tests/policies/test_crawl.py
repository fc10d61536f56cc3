"""A cycle reads lists page by page until it meets known entries, and reads only new or changed
detail pages: counted on the server, not taken from the crawler's word."""

import dataclasses
import json

import pytest

from qitong.policies.models import CrawlRun, Page, Policy, PolicySource
from tests.policies.conftest import FAST, add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db

SAMPLE = json.loads(
    (__import__("pathlib").Path(__file__).parent / "fixtures" / "fulltext_sample.json").read_text()
)["policies"]


def publish(site, count, *, per_page=3):
    """``count`` documents, newest first, listed ``per_page`` to a page under /list, /list_2…"""
    docs = [
        (f"/doc/{n}.html", f"关于第{n}批中小企业发展专项资金的通知") for n in range(count, 0, -1)
    ]
    pages = [docs[i : i + per_page] for i in range(0, len(docs), per_page)]
    for index, links in enumerate(pages):
        path = "/list" if index == 0 else f"/list_{index + 1}"
        following = f"/list_{index + 2}" if index + 1 < len(pages) else None
        site.page(path, list_page(links, following), etag=f'"list-{count}-{index}"')
    for n in range(1, count + 1):
        body = SAMPLE[n % len(SAMPLE)]["Body"] + f"\n本通知为第{n}号，编号唯一。" * 3
        site.page(
            f"/doc/{n}.html",
            detail_page(
                f"关于第{n}批中小企业发展专项资金的通知",
                body,
                number=f"济工信发〔2024〕{n}号",
                issuer="济南市工业和信息化局",
            ),
            etag=f'"doc-{n}"',
        )


def test_the_first_cycle_follows_every_page_and_reads_every_document(site):
    publish(site, 7)
    add_source(site)
    summary = crawl()
    assert summary["sources"] == 1
    assert summary["new"] == 7
    assert summary["errors"] == 0
    assert summary["fetched"] == 3 + 7
    assert site.hits["/list_3"] == 1
    assert Policy.objects.count() == 7
    policy = Policy.objects.get(number="济工信发〔2024〕5号")
    assert policy.title == "关于第5批中小企业发展专项资金的通知"
    assert policy.issuer == "济南市工业和信息化局"
    assert policy.index_number == "11370100004188/2024-00123"
    assert policy.subject == "工业、交通"
    assert str(policy.written) == "2024-04-28" and str(policy.published) == "2024-05-01"


def test_a_second_cycle_with_nothing_new_reads_no_detail_page(site):
    publish(site, 7)
    source = add_source(site)
    crawl()
    before = site.detail_hits()
    summary = crawl()
    assert site.detail_hits() == before
    assert summary["new"] == summary["updated"] == summary["fetched"] == 0
    # The first list page was asked conditionally and answered 304; nothing behind it was read.
    assert site.requests[-1][0] == "/list"
    assert site.requests[-1][1]["If-None-Match"] == '"list-7-0"'
    assert site.hits["/list_2"] == 1
    assert CrawlRun.objects.count() == 2
    assert PolicySource.objects.get(pk=source.pk).consecutive_failures == 0


def test_new_documents_are_read_until_the_first_known_one(site):
    publish(site, 7)
    add_source(site)
    crawl()
    publish(site, 9)  # two more on top: the first page now shows 9, 8, 7
    site.hits.clear()
    summary = crawl()
    assert summary["new"] == 2
    assert site.hits["/doc/9.html"] == site.hits["/doc/8.html"] == 1
    assert site.detail_hits() == 2
    assert site.hits["/list_2"] == 0  # page 1 already showed a known entry
    assert Policy.objects.count() == 9


def test_a_changed_entry_is_read_again_conditionally_and_updates_its_policy(site):
    publish(site, 3)
    add_source(site)
    crawl()
    site.page(
        "/list",
        list_page(
            [
                ("/doc/3.html", "关于第3批中小企业发展专项资金的通知（修订）"),
                ("/doc/2.html", "关于第2批中小企业发展专项资金的通知"),
                ("/doc/1.html", "关于第1批中小企业发展专项资金的通知"),
            ]
        ),
        etag='"list-new"',
    )
    site.page(
        "/doc/3.html",
        detail_page(
            "关于第3批中小企业发展专项资金的通知（修订）",
            SAMPLE[0]["Body"],
            number="济工信发〔2024〕3号",
            issuer="济南市工业和信息化局",
        ),
        etag='"doc-3b"',
    )
    site.hits.clear()
    summary = crawl()
    assert summary["updated"] == 1 and summary["new"] == 0
    assert site.detail_hits() == 1
    assert site.requests[-1][1]["If-None-Match"] == '"doc-3"'
    assert Policy.objects.get(number="济工信发〔2024〕3号").title.endswith("（修订）")
    assert Policy.objects.count() == 3


def test_a_changed_entry_whose_page_answers_304_changes_nothing(site):
    publish(site, 2)
    add_source(site)
    crawl()
    site.page(
        "/list",
        list_page(
            [("/doc/2.html", "新标题"), ("/doc/1.html", "关于第1批中小企业发展专项资金的通知")]
        ),
    )
    summary = crawl()
    assert summary["updated"] == 0 and summary["fetched"] == 1  # the list only: the page said 304
    assert Page.objects.get(url__endswith="/doc/2.html").listed_as == "新标题"


def test_last_modified_is_used_when_there_is_no_etag(site):
    site.page(
        "/list", list_page([("/doc/1.html", "通知")]), last_modified="Wed, 01 May 2024 08:00:00 GMT"
    )
    site.page("/doc/1.html", detail_page("通知", SAMPLE[1]["Body"]))
    add_source(site)
    crawl()
    crawl()
    assert site.requests[-1][1]["If-Modified-Since"] == "Wed, 01 May 2024 08:00:00 GMT"
    assert site.hits["/doc/1.html"] == 1


def test_a_feed_and_a_json_list_are_sources_too(site):
    site.page(
        "/feed.xml",
        """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>政策</title>
        <item><title>关于开展2024年高新技术企业认定工作的通知</title><link>/doc/1.html</link>
        <pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate></item></channel></rss>""",
        content_type="application/rss+xml",
    )
    site.page(
        "/api/list",
        json.dumps({"data": {"list": [{"link": "/doc/2.html", "name": "人才引进补贴办法"}]}}),
        content_type="application/json",
    )
    site.page(
        "/doc/1.html", detail_page("关于开展2024年高新技术企业认定工作的通知", SAMPLE[2]["Body"])
    )
    site.page("/doc/2.html", detail_page("人才引进补贴办法", SAMPLE[3]["Body"]))
    add_source(site, "/feed.xml", kind="rss", link_selector="", next_selector="")
    add_source(
        site,
        "/api/list",
        kind="json",
        link_selector="",
        json_items_path="data.list",
        json_link_path="link",
        json_title_path="name",
    )
    summary = crawl()
    assert summary["new"] == 2, summary
    assert set(Policy.objects.values_list("title", flat=True)) == {
        "关于开展2024年高新技术企业认定工作的通知",
        "人才引进补贴办法",
    }
    crawl()
    assert site.detail_hits() == 2


def test_a_page_that_lists_itself_as_next_does_not_loop(site):
    site.page("/list", list_page([("/doc/1.html", "通知")], next_href="/list?"))
    site.page("/doc/1.html", detail_page("通知", SAMPLE[0]["Body"]))
    add_source(site)
    summary = crawl()
    assert summary["new"] == 1
    assert site.hits["/list"] == 1


def test_a_list_longer_than_a_cycle_is_read_to_its_end_over_several_cycles(site):
    publish(site, 15, per_page=3)  # five list pages
    source = add_source(site)
    limits = dataclasses.replace(FAST, list_pages=2)
    assert crawl(limits=limits)["new"] == 6
    source.refresh_from_db()
    assert source.resume_url == site.url("/list_3")
    assert crawl(limits=limits)["new"] == 6  # the top is unchanged (304); pages 3 and 4
    assert crawl(limits=limits)["new"] == 3  # page 5, the end
    source.refresh_from_db()
    assert source.resume_url == ""
    assert Policy.objects.count() == 15
    site.hits.clear()
    assert crawl(limits=limits)["fetched"] == 0
    assert site.detail_hits() == 0
    # Something new at the top is still read first, as always.
    publish(site, 16, per_page=3)
    assert crawl(limits=limits)["new"] == 1


def test_the_detail_budget_also_leaves_the_rest_for_later(site):
    publish(site, 9, per_page=3)
    add_source(site)
    limits = dataclasses.replace(FAST, details=4)
    assert crawl(limits=limits)["new"] == 6  # pages 1 and 2: the budget is checked per page
    assert crawl(limits=limits)["new"] == 3
    assert Policy.objects.count() == 9


def test_an_entry_that_failed_is_read_again_next_cycle(site):
    from tests.policies.conftest import Route

    publish(site, 3)
    site.routes["/doc/2.html"] = Route(status=500)
    add_source(site)
    summary = crawl()
    assert (summary["new"], summary["errors"]) == (2, 1)
    publish(site, 3)  # the page is back; the list itself has not changed (same ETag)
    summary = crawl()
    assert summary["new"] == 1
    assert site.hits["/doc/2.html"] == 2
    assert site.hits["/doc/1.html"] == site.hits["/doc/3.html"] == 1
    site.hits.clear()
    assert crawl()["fetched"] == 0  # all read: the list answers 304 again
    assert site.detail_hits() == 0


def test_a_page_without_a_policy_in_it_is_not_read_every_cycle(site):
    site.page("/list", list_page([("/doc/1.html", "图片新闻")]))
    site.page("/doc/1.html", "<html><body><img src='a.jpg'></body></html>")
    add_source(site)
    assert crawl()["errors"] == 1
    crawl()
    assert site.hits["/doc/1.html"] == 1
    assert not Policy.objects.exists()
