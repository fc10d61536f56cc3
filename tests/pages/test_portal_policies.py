"""The enterprise portal's policies: 我的政策 (pushed, eligible, read/unread), the calculator,
opening a push, and the same over the API — each enterprise sees only its own."""

import re

import pytest

from qitong.policies import actions
from qitong.policies.models import Push
from tests.appeals.conftest import at
from tests.conftest import client_for
from tests.policies.province import Province

pytestmark = pytest.mark.django_db
NOW = at("2026-11-30 10:00")


@pytest.fixture
def province(db):
    p = Province()
    p.made = {
        "tech": p.policy("高新技术企业研发奖励", qualifications=[p.high_tech]),
        "jinan": p.policy("济南市制造业技改补助", region=p.jinan, industries=["C"]),
        "key": p.policy("重点企业服务包", tiers=["key"]),
        "specialized": p.policy("专精特新企业奖励", qualifications=[p.specialized]),
    }
    actions.push_new_policies(NOW)
    # Published after the push ran: eligible, not pushed yet.
    p.made["later"] = p.policy("小微企业贷款贴息", sizes=["small", "micro"])
    return p


def _login(client, province, enterprise):
    client.force_login(province.user(enterprise))
    return client


def _pushes_on(page):
    return set(map(int, re.findall(r'data-testid="push-(\d+)"', page)))


def test_an_enterprise_sees_only_its_own_pushes_unread_in_bold(client, province):
    p = province
    mine = set(Push.objects.filter(enterprise=p.quanhua).values_list("pk", flat=True))
    assert len(mine) == 2  # 高新 and 济南制造业

    page = _login(client, p, p.quanhua).get("/portal/policies/").content.decode()

    assert _pushes_on(page) == mine
    assert "<strong>高新技术企业研发奖励</strong>" in page
    assert "重点企业服务包" not in page  # 重工's
    assert 'data-testid="card-unread"' in page


def test_opening_a_push_marks_it_read_and_shows_the_policy(client, province):
    p = province
    push = Push.objects.get(enterprise=p.quanhua, policy=p.made["tech"])
    _login(client, p, p.quanhua)

    response = client.get(f"/portal/policies/{push.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == f"/policies/{p.made['tech'].pk}/"
    push.refresh_from_db()
    assert push.read_at is not None
    page = client.get("/portal/policies/").content.decode()
    assert "<strong>高新技术企业研发奖励</strong>" not in page
    unread = client.get("/portal/policies/?tab=pushed&read=unread").content.decode()
    read = client.get("/portal/policies/?tab=pushed&read=read").content.decode()
    assert _pushes_on(unread) == {Push.objects.get(enterprise=p.quanhua, policy=p.made["jinan"]).pk}
    assert _pushes_on(read) == {push.pk}


def test_another_enterprises_push_is_not_found_and_staff_are_refused(client, province, office_user):
    p = province
    theirs = Push.objects.get(enterprise=p.heavy, policy=p.made["key"])
    _login(client, p, p.quanhua)

    assert client.get(f"/portal/policies/{theirs.pk}/open/").status_code == 404
    assert client.get("/portal/policies/999999/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    client.force_login(office_user)
    for url in (
        "/portal/policies/",
        "/portal/policies/calculator/",
        f"/portal/policies/{theirs.pk}/open/",
    ):
        assert client.get(url).status_code == 403


def test_the_eligible_tab_lists_what_the_profile_fits_with_the_conditions(client, province):
    p = province
    page = _login(client, p, p.quanhua).get("/portal/policies/?tab=eligible").content.decode()
    table = page.split('data-testid="eligible"', 1)[1].split("</table>", 1)[0]

    listed = re.findall(r'data-testid="policy-(\d+)"', table)
    # Two conditions matched before one; the pushed ones link through their push.
    assert listed == [str(p.made["jinan"].pk), str(p.made["later"].pk), str(p.made["tech"].pk)]
    assert "区划：济南市" in table and "行业：制造业（C）" in table and "规模：小型" in table
    push = Push.objects.get(enterprise=p.quanhua, policy=p.made["jinan"])
    assert f'href="/portal/policies/{push.pk}/open/"' in table
    assert f'href="/policies/{p.made["later"].pk}/"' in table
    assert "专精特新企业奖励" not in table


def test_the_calculator_ranks_eligible_policies_and_names_what_a_near_miss_lacks(client, province):
    p = province
    page = _login(client, p, p.quanhua).get("/portal/policies/calculator/").content.decode()

    eligible = page.split('data-testid="eligible"', 1)[1].split("</table>", 1)[0]
    near = page.split('data-testid="near-misses"', 1)[1].split("</table>", 1)[0]
    assert "可享受的政策（3 项）" in page and "差一个条件的政策（2 项）" in page
    assert "济南市制造业技改补助" in eligible and "高新技术企业研发奖励" in eligible
    assert "需具备资质：专精特新中小企业" in near
    assert "需为服务等级：重点企业" in near
    assert "济南泉华电子有限公司" in page and "高新技术企业" in page  # the profile it used


def test_the_portal_pages_need_a_bounded_number_of_queries(
    client, province, django_assert_max_num_queries
):
    p = province
    for number in range(15):
        p.policy(f"批量政策 {number}", industries=["C"])
    actions.push_new_policies(NOW)
    _login(client, p, p.quanhua)
    for url in (
        "/portal/policies/",
        "/portal/policies/?tab=eligible",
        "/portal/policies/calculator/",
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


def test_the_api_gives_the_enterprises_pushes_eligible_policies_and_near_misses(province):
    p = province
    api = client_for(p.user(p.quanhua))

    body = api.get("/api/v1/portal/policies").json()

    pushed = {item["policy"]["title"]: item for item in body["pushed"]["results"]}
    assert body["pushed"]["count"] == 2 and set(pushed) == {
        "高新技术企业研发奖励",
        "济南市制造业技改补助",
    }
    assert pushed["济南市制造业技改补助"]["reasons"] == ["区划：济南市", "行业：制造业（C）"]
    assert pushed["济南市制造业技改补助"]["read_at"] is None
    assert [item["policy"]["title"] for item in body["eligible"]] == [
        "济南市制造业技改补助",
        "小微企业贷款贴息",
        "高新技术企业研发奖励",
    ]
    assert body["eligible"][1] == {
        "policy": body["eligible"][1]["policy"],
        "matched": ["规模：小型"],
        "push": None,
    }
    assert {item["lacking"] for item in body["near_misses"]} == {
        "需具备资质：专精特新中小企业",
        "需为服务等级：重点企业",
    }
    unread = api.get("/api/v1/portal/policies?read=unread").json()["pushed"]["count"]
    assert unread == 2


def test_the_api_is_for_enterprise_users_and_names_a_bad_filter(province, office_user):
    assert client_for(office_user).get("/api/v1/portal/policies").status_code == 403
    response = client_for(province.user(province.quanhua)).get("/api/v1/portal/policies?read=maybe")
    assert response.status_code == 400
    assert "read" in response.json()["fields"]


def test_the_enterprise_menu_leads_to_its_policies_and_the_calculator(client, province):
    page = _login(client, province, province.quanhua).get("/portal/policies/").content.decode()
    assert re.search(r'href="/portal/policies/"[^>]*>我的政策</a>', page)
    assert re.search(r'href="/portal/policies/calculator/"[^>]*>政策计算器</a>', page)
