"""The policy library's pages: the search for everyone (no login for public policies) and a
policy's page with its text, metadata, sources, files and readings."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from qitong.orgs.menus import MENUS
from qitong.policies.models import Attachment, Policy
from tests.conftest import PASSWORD
from tests.policies.library import Library

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    return Library()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_visitor_searches_without_logging_in(client, library):
    policy = library.publish(
        "关于支持高新技术企业发展的若干措施",
        "第一条 为促进高新技术企业发展，制定本措施。",
        issuer="济南市科学技术局",
        number="济科发〔2024〕3号",
        category="technology",
    )
    page = client.get("/policies/", {"q": "高新技术"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="sidebar"' not in html  # no menu for a visitor
    assert 'href="/login/?next=' in html
    assert f'href="/policies/{policy.pk}/?q=%E9%AB%98%E6%96%B0%E6%8A%80%E6%9C%AF"' in html
    assert "关于支持<mark>高新技术</mark>企业发展的若干措施" in html
    assert "第一条 为促进<mark>高新技术</mark>企业发展" in html
    assert "济南市科学技术局 · 济科发〔2024〕3号 · 发布于 2024-05-01 · 科技创新" in html
    assert "共 1 条" in html


def test_an_attackers_markup_in_a_title_or_text_is_shown_as_text(client, library):
    library.publish(
        "<script>alert(1)</script>稳岗补贴通知",
        '申请稳岗补贴<img src=x onerror="alert(2)">请登录。',
    )
    html = client.get("/policies/", {"q": "稳岗补贴"}).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>稳岗补贴</mark>通知" in html
    assert "申请<mark>稳岗补贴</mark>&lt;img src=x onerror=&quot;alert(2)&quot;&gt;请登录。" in html


def test_the_library_lists_the_newest_first_and_pages_through(client, library):
    made = [library.publish(f"第{n}号政策", published=dt.date(2024, 1, n)) for n in range(1, 13)]

    def row(policy):
        return f'data-testid="policy-{policy.pk}"'

    html = client.get("/policies/", {"page_size": 10}).content.decode()
    assert html.index(row(made[-1])) < html.index(row(made[-2]))
    assert "共 12 条" in html and "第 1 / 2 页" in html and row(made[0]) not in html
    second = client.get("/policies/", {"page_size": 10, "page": 2}).content.decode()
    assert row(made[0]) in second and row(made[-1]) not in second


def test_a_bad_filter_is_named_on_the_page(client, library):
    library.publish("稳岗补贴通知")
    html = client.get("/policies/", {"since": "2024-02-30", "category": "lottery"}).content.decode()
    assert "输入一个有效的日期" in html
    assert "lottery" in html


def test_a_visitor_does_not_see_a_policy_kept_from_the_public(client, library, enterprise_user):
    hidden = library.publish("内部稳岗工作方案", "稳岗。", public=False)
    shown = library.publish("公开稳岗政策", "稳岗。")
    html = client.get("/policies/", {"q": "稳岗"}).content.decode()
    assert f'"policy-{shown.pk}"' in html and f'"policy-{hidden.pk}"' not in html
    assert client.get(f"/policies/{hidden.pk}/").status_code == 404
    client.force_login(enterprise_user)
    assert client.get(f"/policies/{hidden.pk}/").status_code == 404
    assert client.get(f"/policies/{shown.pk}/").status_code == 200


def test_staff_see_every_policy_in_their_own_layout(client, library, unit_user):
    hidden = library.publish("内部稳岗工作方案", "稳岗。", public=False)
    client.force_login(unit_user)
    html = client.get("/policies/", {"q": "稳岗"}).content.decode()
    assert f'"policy-{hidden.pk}"' in html and "不公开" in html
    assert 'class="sidebar"' in html and 'href="/policies/" aria-current="page"' in html


def test_a_policys_page_shows_its_text_sources_files_and_readings(client, library):
    policy = library.publish(
        "关于印发《济南市稳就业若干政策措施》的通知",
        "一、稳岗返还。\n二、<b>技能补贴</b>。",
        issuer="济南市人民政府",
        number="济政发〔2024〕5号",
        category="talent",
        region="370100",
    )
    library.read(
        "https://hrss.jinan.gov.cn/art/9.html",
        policy.title,
        policy.body,
        source=Library.second_source(),
        number="济政发〔2024〕5号",
    )
    reading = library.publish("《济南市稳就业若干政策措施》政策解读", "解读。")
    hidden = library.publish("《济南市稳就业若干政策措施》内部解读", "内部。", public=False)
    Policy.objects.filter(pk__in=[reading.pk, hidden.pk]).update(interprets=policy)
    attachment = Attachment(
        policy=policy,
        url="https://www.jinan.gov.cn/f/1.pdf",
        name="申请表.pdf",
        size=8,
        sha256="cd" * 32,
    )
    attachment.file.save("form.pdf", ContentFile(b"%PDF-1.4"), save=False)
    attachment.save()

    html = client.get(f"/policies/{policy.pk}/", {"q": "稳岗"}).content.decode()
    assert "一、<mark>稳岗</mark>返还。\n二、&lt;b&gt;技能补贴&lt;/b&gt;。" in html
    assert "济政发〔2024〕5号" in html and "人才支持" in html and "济南市" in html
    assert html.count('data-testid="source"') == 2
    assert "济南市人社局：" in html and 'href="https://hrss.jinan.gov.cn/art/9.html"' in html
    assert f'href="/policies/{reading.pk}/"' in html and f"/policies/{hidden.pk}/" not in html
    assert f'href="/policies/{policy.pk}/attachments/{attachment.pk}/"' in html
    assert 'data-testid="correct-policy"' not in html

    download = client.get(f"/policies/{policy.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4"
    assert "attachment" in download["Content-Disposition"]

    reading_page = client.get(f"/policies/{reading.pk}/").content.decode()
    assert f'data-testid="interprets" href="/policies/{policy.pk}/"' in reading_page.replace(
        f'<a href="/policies/{policy.pk}/" data-testid="interprets"',
        f'data-testid="interprets" href="/policies/{policy.pk}/"',
    )


def test_a_file_of_a_hidden_policy_is_not_served(client, library):
    hidden = library.publish("内部方案", "内部。", public=False)
    attachment = Attachment(
        policy=hidden, url="https://x.gov.cn/a.pdf", name="a.pdf", size=3, sha256="ef" * 32
    )
    attachment.file.save("a.pdf", ContentFile(b"abc"), save=False)
    attachment.save()
    assert client.get(f"/policies/{hidden.pk}/attachments/{attachment.pk}/").status_code == 404


def test_keepers_find_the_correction_on_a_policys_page(client, library, unit_user):
    policy = library.publish("企业上市奖励办法")
    client.force_login(library.keeper)
    html = client.get(f"/policies/{policy.pk}/").content.decode()
    assert f'href="/office/policies/{policy.pk}/correct/"' in html
    client.force_login(unit_user)
    assert (
        'data-testid="correct-policy"' not in client.get(f"/policies/{policy.pk}/").content.decode()
    )


def test_every_role_has_the_library_in_its_menu_and_the_login_page_links_it(client):
    assert all(
        ("政策库" in str(label) and name == "policy-library")
        for role, items in MENUS.items()
        for label, name in items
        if name == "policy-library"
    )
    assert all(any(name == "policy-library" for _label, name in items) for items in MENUS.values())
    html = client.get("/login/").content.decode()
    assert 'href="/policies/"' in html


def test_the_library_page_reads_a_page_in_a_few_queries(client, library, django_assert_num_queries):
    for n in range(1, 6):
        library.publish(
            f"第{n}批稳岗补贴名单", "申请稳岗补贴的企业名单。", published=dt.date(2024, 1, n)
        )
    # The count, the title tier, the policies, their pages with their sources; on PostgreSQL
    # the count and the tier each in a transaction setting its plan (here a savepoint, the
    # SET, the query and the release).
    with django_assert_num_queries(4 if connection.vendor == "sqlite" else 10):
        html = client.get("/policies/", {"q": "稳岗补贴"}).content.decode()
    assert html.count("<mark>稳岗补贴</mark>") == 10  # in each title and each passage


def test_signing_in_from_the_library_comes_back_to_it(client, library):
    user = library.keeper
    response = client.post(
        "/login/?next=/policies/",
        {"username": user.username, "password": PASSWORD, "next": "/policies/"},
    )
    assert response.status_code == 302 and response["Location"] == "/policies/"
