"""``GET /api/v1/policies`` and ``GET /api/v1/policies/{id}``: the library's search and one policy,
open to everyone without a token; a bad parameter is a 400 naming it."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from rest_framework.test import APIClient

from qitong.policies.models import Attachment, Page, Policy
from tests.conftest import client_for
from tests.policies.library import Library

pytestmark = pytest.mark.django_db
FIELDS = {"id", "title", "issuer", "number", "published", "url", "category", "sources"}


@pytest.fixture
def library(db):
    return Library()


@pytest.fixture
def anonymous():
    return APIClient()


def test_anyone_searches_the_public_library_without_a_token(anonymous, library):
    older = library.publish(
        "关于支持高新技术企业发展的若干措施",
        "具体措施。",
        issuer="济南市科学技术局",
        number="济科发〔2024〕3号",
        category="technology",
        published=dt.date(2024, 3, 1),
    )
    newer = library.publish("稳岗工作通知", "支持高新技术企业稳岗。", published=dt.date(2024, 6, 1))
    response = anonymous.get("/api/v1/policies", {"q": "高新技术"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [older.pk, newer.pk]  # its title first
    first = body["results"][0]
    assert set(first) == FIELDS
    assert first == {
        "id": older.pk,
        "title": "关于支持高新技术企业发展的若干措施",
        "issuer": "济南市科学技术局",
        "number": "济科发〔2024〕3号",
        "published": "2024-03-01",
        "url": f"/policies/{older.pk}/",
        "category": "technology",
        "sources": [{"name": "济南市人民政府", "url": older.pages.get().url}],
    }


def test_a_policy_read_from_two_sites_lists_both(anonymous, library):
    policy = library.publish("关于人才公寓的通知", "申请条件。", number="济人社〔2024〕1号")
    other_site = Library.second_source()
    library.read(
        "https://hrss.jinan.gov.cn/art/1.html",
        "关于人才公寓的通知",
        "申请条件。",
        source=other_site,
        number="济人社〔2024〕1号",
    )
    assert Page.objects.filter(policy=policy).count() == 2
    row = anonymous.get("/api/v1/policies", {"q": "人才公寓"}).json()["results"][0]
    assert [source["name"] for source in row["sources"]] == ["济南市人民政府", "济南市人社局"]


def test_filters_by_category_issuer_level_region_and_date(anonymous, library):
    tech = library.publish(
        "历下区技术改造奖励办法",
        "奖励。",
        issuer="济南市历下区科学技术局",
        category="technology",
        level="district",
        region="370102",
        published=dt.date(2024, 5, 1),
    )
    library.publish(
        "山东省贷款贴息办法",
        "贴息。",
        issuer="山东省财政厅",
        category="financing",
        level="provincial",
        region="370000",
        published=dt.date(2023, 5, 1),
    )

    def found(**params):
        response = anonymous.get("/api/v1/policies", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert found(category="technology") == [tech.pk]
    assert found(issuer="科学技术局") == [tech.pk]
    assert found(level="district") == [tech.pk]
    assert found(region="370100") == [tech.pk]  # 历下区 lies within 济南市
    assert found(since="2024-01-01") == [tech.pk]
    assert len(found(region="370000")) == 2


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"since": "2024-13-01"}, "since", "日期"),
        ({"category": "lottery"}, "category", "lottery"),
        ({"level": "planet"}, "level", "planet"),
        ({"region": "999999"}, "region", "999999"),
        ({"q": "字" * 101}, "q", "100"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(anonymous, library, params, field, words):
    response = anonymous.get("/api/v1/policies", params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid" and set(body["fields"]) == {field}
    assert words in body["fields"][field][0]


def test_a_policy_kept_from_the_public_is_staffs_only(
    anonymous, library, enterprise_user, unit_user
):
    shown = library.publish("稳岗补贴公开通知", "稳岗。")
    hidden = library.publish("稳岗补贴内部方案", "稳岗。", public=False)
    for client in (anonymous, client_for(enterprise_user)):
        rows = client.get("/api/v1/policies", {"q": "稳岗补贴"}).json()["results"]
        assert [row["id"] for row in rows] == [shown.pk]
        assert client.get(f"/api/v1/policies/{hidden.pk}").status_code == 404
    staff = client_for(unit_user)
    rows = staff.get("/api/v1/policies", {"q": "稳岗补贴"}).json()["results"]
    assert {row["id"] for row in rows} == {shown.pk, hidden.pk}
    assert staff.get(f"/api/v1/policies/{hidden.pk}").status_code == 200


def test_counting_stops_past_the_cap_and_pages_go_on(anonymous, library, monkeypatch):
    monkeypatch.setattr("qitong.policies.api.SEARCH_COUNT_LIMIT", 3)
    made = [
        library.publish(f"第{n}批专精特新企业名单", "名单。", published=dt.date(2024, 1, n))
        for n in range(1, 6)
    ]
    first = anonymous.get("/api/v1/policies", {"q": "专精特新", "page_size": 2}).json()
    assert first["count"] == 4  # more than 3
    second = anonymous.get("/api/v1/policies", {"q": "专精特新", "page_size": 2, "page": 2}).json()
    newest_first = [policy.pk for policy in reversed(made)]
    assert [row["id"] for row in first["results"] + second["results"]] == newest_first[:4]


def test_the_search_reads_a_page_in_a_few_queries(anonymous, library, django_assert_num_queries):
    for n in range(1, 6):
        library.publish(f"第{n}批稳岗补贴名单", "名单。", published=dt.date(2024, 1, n))
    # The count, the title tier, the policies, their pages with their sources; on PostgreSQL
    # the count and the tier each in a transaction setting its plan (here a savepoint, the
    # SET, the query and the release).
    with django_assert_num_queries(4 if connection.vendor == "sqlite" else 10):
        response = anonymous.get("/api/v1/policies", {"q": "稳岗补贴"})
    assert len(response.json()["results"]) == 5


def test_one_policy_with_its_text_files_and_readings(anonymous, library, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    policy = library.publish(
        "关于印发《济南市稳就业若干政策措施》的通知",
        "一、稳岗返还。",
        category="talent",
        region="370100",
    )
    reading = library.publish("《济南市稳就业若干政策措施》政策解读", "解读。")
    hidden_reading = library.publish("《济南市稳就业若干政策措施》内部解读", "内部。", public=False)
    Policy.objects.filter(pk__in=[reading.pk, hidden_reading.pk]).update(interprets=policy)
    attachment = Attachment(
        policy=policy,
        url="https://www.jinan.gov.cn/f/1.pdf",
        name="申请表.pdf",
        size=8,
        sha256="ab" * 32,
    )
    attachment.file.save("申请表.pdf", ContentFile(b"%PDF-1.4"), save=False)
    attachment.save()
    body = anonymous.get(f"/api/v1/policies/{policy.pk}").json()
    assert body["body"] == "一、稳岗返还。" and body["region"] == "370100"
    assert body["category"] == "talent"
    assert body["attachments"] == [
        {
            "id": attachment.pk,
            "name": "申请表.pdf",
            "size": 8,
            "url": f"/policies/{policy.pk}/attachments/{attachment.pk}/",
        }
    ]
    assert body["interprets"] is None
    assert body["interpretations"] == [
        {"id": reading.pk, "title": reading.title, "url": f"/policies/{reading.pk}/"}
    ]
    back = anonymous.get(f"/api/v1/policies/{reading.pk}").json()
    assert back["interprets"]["id"] == policy.pk
    assert anonymous.get("/api/v1/policies/999999").status_code == 404
