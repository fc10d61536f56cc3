"""One document is one policy: the same page under another address form, or the same text
republished by several sites."""

import json

import pytest

from qitong.policies import dedup
from qitong.policies.models import Page, Policy
from tests.policies.conftest import add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db

SAMPLE = json.loads(
    (__import__("pathlib").Path(__file__).parent / "fixtures" / "fulltext_sample.json").read_text()
)["policies"]
NOTICE = SAMPLE[0]  # 市工业和信息化局关于组织做好2021年国家技术创新示范企业申报推荐工作的通知
TITLE = "市工业和信息化局关于组织做好2021年国家技术创新示范企业申报推荐工作的通知"


def test_one_document_republished_on_three_sites_is_one_policy_with_three_sources(sites):
    chrome = [
        ("天津市人民政府", "<div class='share'>分享到：微信 微博</div>"),
        ("天津市工业和信息化局", "<div class='print'>【打印本页】【关闭窗口】</div>"),
        ("天津市河西区人民政府", "<p>来源：市工业和信息化局　浏览次数：1024</p>"),
    ]
    for index, (site_name, extra) in enumerate(chrome):
        site = sites()
        path = f"/zwgk/{index}/t2021061{index}_{index}.html"
        site.page("/list", list_page([(path, TITLE)]))
        body = NOTICE["Body"]
        if index == 2:  # a district adds its own line under the text
            body += "\n（转载自天津市工业和信息化局网站）"
        site.page(
            path,
            detail_page(TITLE, body, number="", issuer="天津市工业和信息化局", extra=extra),
        )
        add_source(site, name=site_name)
    summary = crawl()
    assert summary["new"] == 1, summary
    assert summary["duplicates"] == 2
    policy = Policy.objects.get()
    assert policy.pages.count() == 3
    assert set(policy.pages.values_list("source__name", flat=True)) == {name for name, _ in chrome}
    crawl()
    assert Policy.objects.count() == 1


def test_different_documents_of_one_template_stay_apart(site):
    template = SAMPLE[1]["Body"]
    links = []
    for n in (1, 2):
        site.page(
            f"/doc/{n}.html",
            detail_page(
                f"通知{n}", template, number=f"沪民救发〔2017〕{n}号", issuer="上海市民政局"
            ),
        )
        links.append((f"/doc/{n}.html", f"通知{n}"))
    site.page("/list", list_page(links))
    add_source(site)
    summary = crawl()
    assert summary["new"] == 2 and summary["duplicates"] == 0


def test_the_same_page_under_another_address_form_is_read_once(site):
    title = "关于印发2020年立法计划的通知"
    host = f"127.0.0.1:{site.port}"
    site.page(
        "/list",
        list_page(
            [
                ("/doc/1.html", title),
                ("/doc/1.html#content", title),
                (f"http://{host}/doc/1.html/", title),
                (f"//{host}/doc/./1.html", title),
            ]
        ),
    )
    site.page("/doc/1.html", detail_page(title, SAMPLE[3]["Body"]))
    add_source(site)
    summary = crawl()
    assert summary["new"] == 1
    assert site.hits["/doc/1.html"] == 1
    assert Page.objects.filter(kind=Page.Kind.DETAIL).count() == 1


def test_the_same_address_through_two_sources_is_one_policy(site):
    site.page("/list", list_page([("/doc/1.html", "通知")]))
    site.page("/list2", list_page([("/doc/1.html?", "通知")]))
    site.page("/doc/1.html", detail_page("通知", SAMPLE[2]["Body"]))
    add_source(site, name="一")
    add_source(site, "/list2", name="二")
    summary = crawl()
    assert summary["new"] + summary["duplicates"] == 2
    assert Policy.objects.count() == 1
    assert Page.objects.filter(kind=Page.Kind.DETAIL).count() == 2


def test_simhash_is_near_for_near_texts_and_far_for_others():
    text = SAMPLE[0]["Body"]
    assert dedup.distance(dedup.simhash(text), dedup.simhash(text + "（此件公开发布）")) < 10
    assert dedup.distance(dedup.simhash(text), dedup.simhash(SAMPLE[1]["Body"])) > 16
    assert dedup.resemblance(text, "【打印本页】" + text + "（此件公开发布）") > dedup.SAME_TEXT
    assert dedup.resemblance(text, SAMPLE[1]["Body"]) < 0.1
    assert dedup.simhash("太短") == 0
