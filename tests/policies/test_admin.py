"""Sources are edited in the admin, validated by the model; what the crawler writes is read-only."""

import pytest

from qitong.policies.models import CrawlRun, Policy, PolicySource

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_source_is_added_in_the_admin_and_a_bad_one_refused(admin):
    url = "/admin/policies/policysource/add/"
    base = {
        "name": "济南市政府文件",
        "list_url": "http://www.jinan.gov.cn/col/col1/",
        "kind": "html",
    }
    base |= {"encoding": "auto", "enabled": "on", "consecutive_failures": "0"}
    response = admin.post(url, base | {"link_selector": ""})
    assert response.status_code == 200
    assert "HTML 列表页必须填写链接选择器" in response.content.decode()
    assert not PolicySource.objects.exists()
    response = admin.post(url, base | {"link_selector": "ul.list li a"})
    assert response.status_code == 302
    assert PolicySource.objects.get().link_selector == "ul.list li a"


def test_the_health_lists_and_the_read_only_pages_open(admin):
    source = PolicySource.objects.create(
        name="甲", list_url="http://a.gov.cn/", link_selector="a", flagged=True
    )
    Policy.objects.create(title="关于支持中小企业发展的若干措施", issuer="济南市人民政府")
    CrawlRun.objects.create(sources=1, report={str(source.pk): {"errors": ["HTTP 500"]}})
    for path in ("policysource", "policy", "crawlrun"):
        assert admin.get(f"/admin/policies/{path}/").status_code == 200
    assert admin.get(f"/admin/policies/policysource/{source.pk}/change/").status_code == 200
    assert admin.get("/admin/policies/policy/add/").status_code == 403
    response = admin.post(
        "/admin/policies/policysource/",
        {"action": "resume", "_selected_action": [source.pk]},
    )
    assert response.status_code == 302
    assert not PolicySource.objects.get().flagged
