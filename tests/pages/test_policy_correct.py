"""The keepers' page to correct a policy: its current values, which are staff's, the
correction saved through ``actions.correct_policy``, a field handed back to the machine."""

import re

import pytest

from qitong.enterprises.models import Qualification
from qitong.policies import classify
from qitong.policies.models import Category, Policy

pytestmark = pytest.mark.django_db
By = Policy.CategoryBy


@pytest.fixture
def policy(db):
    Qualification.objects.create(code="high-tech", name="高新技术企业")
    policy = Policy.objects.create(
        title="关于支持中小企业贷款贴息的若干措施",
        body="一、对中小企业贷款给予贴息。\n二、本措施自2024年1月1日起施行，有效期2年。",
        issuer="济南市财政局",
    )
    classify.reclassify(policy)
    policy.refresh_from_db()
    return policy


def _client(client, user):
    client.force_login(user)
    return client


def _url(policy):
    return f"/office/policies/{policy.pk}/correct/"


def _form(policy, **changes):
    """The form as the page sends it back: every field at its current value, then ``changes``."""
    data = {
        "title": policy.title,
        "issuer": policy.issuer,
        "number": policy.number,
        "written": "",
        "published": "",
        "level": policy.level,
        "region": policy.region.code if policy.region_id else "",
        "category": policy.category,
        "valid_from": policy.valid_from.isoformat() if policy.valid_from else "",
        "valid_until": policy.valid_until.isoformat() if policy.valid_until else "",
        "industries": " ".join(policy.industries),
        "sizes": list(policy.sizes),
        "tiers": list(policy.tiers),
        "regions": " ".join(region.code for region in policy.regions.all()),
        "qualifications": [row.code for row in policy.qualifications.all()],
        "interprets": "",
    }
    data.update(changes)
    return data


def test_the_page_shows_the_current_values_and_what_staff_corrected(client, office_user, policy):
    policy.corrected = ["category"]
    policy.category_by = By.STAFF
    policy.save()
    page = _client(client, office_user).get(_url(policy))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>更正政策</h1>" in html
    assert 'name="title" value="关于支持中小企业贷款贴息的若干措施"' in html
    assert re.search(r'<option value="financing" selected>金融支持</option>', html)
    assert re.search(
        r'value="2025-12-31"[^>]*name="valid_until"|name="valid_until"[^>]*value="2025-12-31"', html
    )
    assert 'value="small"' in html and "checked" in html
    assert 'value="370100"' in html and "济南市（370100）" in html
    corrected = re.search(r'data-testid="corrected">(.*?)</dd>', html, re.S).group(1)
    assert "政策类别" in corrected and "适用企业规模" not in corrected
    # a hand-back box for the corrected field only
    assert re.findall(r'name="handback" value="(\w+)"', html) == ["category"]


@pytest.mark.parametrize("who", ["unit_user", "enterprise_user", "leader_user"])
def test_others_are_refused(client, policy, who, request):
    user = request.getfixturevalue(who)
    assert _client(client, user).get(_url(policy)).status_code == 403
    assert client.post(_url(policy), _form(policy, category="tax")).status_code == 403
    policy.refresh_from_db()
    assert policy.category == Category.FINANCING


def test_the_anonymous_are_sent_to_sign_in_and_a_missing_policy_is_404(client, office_user, policy):
    response = client.get(_url(policy))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert _client(client, office_user).get("/office/policies/987654/correct/").status_code == 404


def test_saving_records_only_the_fields_changed(client, office_user, policy):
    client = _client(client, office_user)
    response = client.post(
        _url(policy),
        _form(
            policy,
            category="tax",
            sizes=["micro"],
            industries="C I65",
            qualifications=["high-tech"],
        ),
    )
    assert response.status_code == 302 and response["Location"] == _url(policy)
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.TAX, By.STAFF)
    assert policy.sizes == ["micro"]
    assert policy.industries == ["C", "I65"]
    assert [row.code for row in policy.qualifications.all()] == ["high-tech"]
    assert policy.corrected == ["category", "industries", "qualifications", "sizes"]
    html = client.get(_url(policy)).content.decode()
    assert (
        '<div class="message success" role="status">'
        "已更正：政策类别、适用行业、适用企业规模、所需资质。</div>"
    ) in html
    # sent back unchanged: nothing new is staff's
    assert client.post(_url(policy), _form(policy)).status_code == 302
    policy.refresh_from_db()
    assert policy.corrected == ["category", "industries", "qualifications", "sizes"]
    assert "没有改动。" in client.get(_url(policy)).content.decode()


def test_bad_values_are_shown_by_their_field_and_nothing_is_saved(client, office_user, policy):
    client = _client(client, office_user)
    response = client.post(_url(policy), _form(policy, industries="C99", region="999999"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "更正未保存，请按提示修改。" in html
    assert "适用行业：行业代码 C99 无效：C 门类的大类应在 13～43 之间。" in html
    assert "发布区划：行政区划代码 999999 不存在。" in html
    assert 'value="C99"' in html  # what was typed stays in the box
    policy.refresh_from_db()
    assert policy.corrected == [] and policy.industries == []


def test_a_field_handed_back_is_the_machines_again(client, office_user, policy):
    client = _client(client, office_user)
    client.post(_url(policy), _form(policy, category="tax", sizes=["micro"]))
    policy.refresh_from_db()
    response = client.post(_url(policy), {**_form(policy), "handback": ["category"]})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.FINANCING, By.RULE)
    assert policy.corrected == ["sizes"]
    assert "已交还机器重新识别：政策类别。" in client.get(_url(policy)).content.decode()
