"""Attachments linked from a policy's page are downloaded, stored and size-capped."""

import json

import pytest

from qitong.policies.models import Attachment, CrawlRun, Policy
from tests.policies.conftest import FAST, Route, add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db

BODY = json.loads(
    (__import__("pathlib").Path(__file__).parent / "fixtures" / "fulltext_sample.json").read_text()
)["policies"][0]["Body"]
PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(3000)


def page_with(site, links):
    extra = "".join(f'<p>附件：<a href="{href}">{name}</a></p>' for href, name in links)
    site.page("/list", list_page([("/doc/1.html", "关于申报推荐工作的通知")]))
    site.page("/doc/1.html", detail_page("关于申报推荐工作的通知", BODY, extra=extra))
    return add_source(site)


def test_attachments_are_stored_once(site):
    site.routes["/files/a.pdf"] = Route(PDF, content_type="application/pdf")
    site.routes["/files/b.xls"] = Route(XLS, content_type="application/vnd.ms-excel")
    page_with(
        site,
        [
            ("/files/a.pdf", "推荐企业汇总表.pdf"),
            ("/files/b.xls", "申报材料.xls"),
            ("/files/a.pdf#x", "又一次"),
        ],
    )
    summary = crawl()
    assert summary["new"] == 1
    policy = Policy.objects.get()
    stored = {a.name: a for a in policy.attachments.all()}
    assert set(stored) == {"推荐企业汇总表.pdf", "申报材料.xls"}
    with stored["推荐企业汇总表.pdf"].file.open("rb") as handle:
        assert handle.read() == PDF
    assert stored["申报材料.xls"].size == len(XLS)
    assert stored["申报材料.xls"].file.name.endswith(".xls")
    assert site.hits["/files/a.pdf"] == 1


def test_an_attachment_over_the_cap_is_not_kept(site):
    site.routes["/files/big.pdf"] = Route(
        b"%PDF" + bytes(FAST.attachment_bytes + 10), content_type="application/pdf"
    )
    site.routes["/files/ok.doc"] = Route(XLS, content_type="application/msword")
    source = page_with(site, [("/files/big.pdf", "大文件.pdf"), ("/files/ok.doc", "说明.doc")])
    summary = crawl()
    assert summary["new"] == 1
    assert list(Attachment.objects.values_list("name", flat=True)) == ["说明.doc"]
    assert "超过" in CrawlRun.objects.get().report[str(source.pk)]["errors"][0]


def test_an_attachment_link_answering_a_web_page_is_not_kept(site):
    site.page("/files/missing.pdf", "<html>文件不存在</html>")
    page_with(site, [("/files/missing.pdf", "通知.pdf")])
    crawl()
    assert not Attachment.objects.exists()
