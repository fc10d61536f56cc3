"""``qitong policysource add|list|enable|disable|remove`` and ``qitong crawl --once``."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from qitong.core import clock
from qitong.policies.models import CrawlLease, Page, Policy, PolicySource
from tests.policies.conftest import detail_page, list_page

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    call_command(*args)
    return capsys.readouterr().out


def test_add_prints_the_new_id_and_list_shows_it(site, capsys):
    out = run(
        capsys,
        "policysource", "add", "--name", "济南市政府文件", "--list-url", site.url("/list"),
        "--link-selector", "ul.list a", "--next-selector", "a.next", "--encoding", "gbk",
    )  # fmt: skip
    source = PolicySource.objects.get(pk=int(out.strip()))
    assert (source.name, source.encoding, source.next_selector) == (
        "济南市政府文件",
        "gbk",
        "a.next",
    )
    listing = run(capsys, "policysource", "list")
    assert f"{source.pk}\t济南市政府文件\tHTML 列表页\t{site.url('/list')}\t启用" in listing


def test_add_refuses_bad_input_naming_the_field(capsys):
    with pytest.raises(CommandError, match="列表页地址"):
        call_command(
            "policysource", "add", "--name", "x", "--list-url", "not a url", "--link-selector", "a"
        )
    with pytest.raises(CommandError, match="链接选择器：HTML 列表页必须填写链接选择器"):
        call_command("policysource", "add", "--name", "x", "--list-url", "http://a.gov.cn/")
    with pytest.raises(CommandError, match="不是有效的 CSS 选择器"):
        call_command(
            "policysource",
            "add",
            "--name",
            "x",
            "--list-url",
            "http://a.gov.cn/",
            "--link-selector",
            ">>>",
        )
    with pytest.raises(CommandError, match="条目路径"):
        call_command(
            "policysource", "add", "--name", "x", "--list-url", "http://a.gov.cn/", "--kind", "json"
        )
    assert not PolicySource.objects.exists()


def test_disable_enable_and_remove(site, capsys):
    source = PolicySource.objects.create(
        name="甲",
        list_url=site.url("/list"),
        link_selector="a",
        flagged=True,
        consecutive_failures=6,
    )
    assert "已停用" in run(capsys, "policysource", "disable", str(source.pk))
    assert "停用" in run(capsys, "policysource", "list")
    assert not PolicySource.objects.get().enabled
    run(capsys, "policysource", "enable", str(source.pk))
    source.refresh_from_db()
    assert (source.enabled, source.flagged, source.consecutive_failures) == (True, False, 0)
    assert "已删除" in run(capsys, "policysource", "remove", str(source.pk))
    assert not PolicySource.objects.exists()
    with pytest.raises(CommandError, match="政策来源 .* 不存在"):
        call_command("policysource", "disable", str(source.pk))


def test_removing_a_source_keeps_its_policies(site, capsys):
    site.page("/list", list_page([("/doc/1.html", "通知")]))
    site.page("/doc/1.html", detail_page("通知", "一、支持企业技术改造。" * 20))
    source_id = run(
        capsys,
        "policysource",
        "add",
        "--name",
        "甲",
        "--list-url",
        site.url("/list"),
        "--link-selector",
        "ul.list a",
    ).strip()
    run(capsys, "crawl", "--once")
    run(capsys, "policysource", "remove", source_id)
    assert Policy.objects.count() == 1
    assert not Page.objects.exists()


def test_crawl_once_prints_a_json_summary(site, capsys):
    site.page("/list", list_page([("/doc/1.html", "通知")]))
    site.page("/doc/1.html", detail_page("通知", "一、支持企业技术改造。" * 20))
    PolicySource.objects.create(name="甲", list_url=site.url("/list"), link_selector="ul.list a")
    summary = json.loads(run(capsys, "crawl", "--once"))
    assert {key: summary[key] for key in ["sources", "fetched", "new", "updated", "duplicates", "errors"]} == {
        "sources": 1, "fetched": 2, "new": 1, "updated": 0, "duplicates": 0, "errors": 0,
    }  # fmt: skip


def test_crawl_once_for_one_source(sites, capsys):
    first, second = sites(), sites()
    for site in (first, second):
        site.page("/list", list_page([]))
    one = PolicySource.objects.create(name="甲", list_url=first.url("/list"), link_selector="a")
    PolicySource.objects.create(name="乙", list_url=second.url("/list"), link_selector="a")
    summary = json.loads(run(capsys, "crawl", "--once", "--source", str(one.pk)))
    assert summary["sources"] == 1
    assert first.hits["/list"] == 1 and second.hits["/list"] == 0
    with pytest.raises(CommandError, match="政策来源 999 不存在"):
        call_command("crawl", "--once", "--source", "999")


def test_crawl_needs_once():
    with pytest.raises(CommandError, match="--once"):
        call_command("crawl")


def test_a_cycle_does_not_overlap_another(site, capsys):
    PolicySource.objects.create(name="甲", list_url=site.url("/list"), link_selector="a")
    CrawlLease.objects.create(
        name="crawl", holder="other", expires_at=clock.now() + dt.timedelta(minutes=5)
    )
    with pytest.raises(CommandError, match="另一轮抓取正在进行"):
        call_command("crawl", "--once")
    assert site.hits["/list"] == 0
    # A holder that died leaves the lease to expire; the next cycle takes it.
    CrawlLease.objects.update(expires_at=clock.now() - dt.timedelta(seconds=1))
    site.page("/list", list_page([]))
    assert json.loads(run(capsys, "crawl", "--once"))["sources"] == 1
    assert CrawlLease.objects.get().holder == ""
