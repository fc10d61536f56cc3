"""一企一档: the file of one enterprise, for whoever may see it, and for no one else."""

import pytest
from django.urls import reverse

from qitong.enterprises import actions as enterprise_actions
from qitong.visits import actions
from tests.appeals.conftest import at
from tests.visits.conftest import VisitCity

WHEN = at("2026-03-10 10:00")


@pytest.fixture
def city(db):
    return VisitCity()


def _get(client, user, enterprise):
    client.force_login(user)
    return client.get(reverse("dossier", args=[enterprise.pk]))


def test_the_dossier_holds_every_section(client, city):
    enterprise_actions.update_profile(
        city.company, acting_user=city.ent_user, size="medium", at=WHEN
    )
    city.visit(city.office_user, when=WHEN, difficulties=[{"text": "用电增容审批缓慢"}])
    city.file(title="融资担保咨询")
    page = _get(client, city.office_user, city.company)
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("profile", "contacts", "pairing", "visits", "appeals", "policies"):
        assert f'data-section="{section}"' in html
    assert 'data-section="projects"' not in html  # no project: no section
    assert "历下区解放路街道" in html  # the pairer
    assert "用电增容审批缓慢" in html and "融资担保咨询" in html
    assert "中型" in html and "企业自助" in html  # the change, and its road
    assert "@media print" in html


def test_who_may_read_the_file(client, city):
    assert _get(client, city.town_user, city.company).status_code == 200
    assert _get(client, city.town_user, city.other_company).status_code == 404
    assert _get(client, city.fgw_user, city.other_company).status_code == 200
    assert _get(client, city.leader_user, city.other_company).status_code == 200
    assert _get(client, city.district_user, city.company).status_code == 200
    assert _get(client, city.district_user, city.other_company).status_code == 404
    assert _get(client, city.ent_user, city.company).status_code == 200
    assert _get(client, city.ent_user, city.other_company).status_code == 404


def test_an_enterprise_sees_its_own_appeals_only_through_the_appeal_rules(client, city):
    city.file(title="融资担保咨询")
    actions.record_visit(
        acting_user=city.office_user,
        enterprise=city.company,
        answers={"orders": "正常"},
        difficulties=[{"text": "招工难"}],
        at=WHEN,
    )
    html = _get(client, city.ent_user, city.company).content.decode()
    assert "融资担保咨询" in html and "招工难" in html
    html = _get(client, city.fgw_user, city.other_company).content.decode()
    assert "融资担保咨询" not in html  # another enterprise's appeal


def _policy(title, **fields):
    import datetime as dt

    from qitong.policies.models import Policy

    values = {"category": Policy.Category.FINANCING, "issuer": "济南市人民政府"}
    values.update({"published": dt.date(2026, 3, 2), "public": True, **fields})
    return Policy.objects.create(title=title, **values)


def test_the_file_lists_the_policies_the_enterprise_fits_with_why(client, city):
    """The calculator's list, judged on the file's day: what fits, not what merely exists."""
    city.company.size = "small"
    city.company.save()
    fits = _policy("关于支持小微企业融资的若干措施", sizes=["small", "micro"])
    _policy("关于支持大型企业上市的通知", sizes=["large"])  # the wrong size
    _policy("关于支持中小企业发展的措施", public=False)  # not public: the calculator leaves it
    html = _get(client, city.office_user, city.company).content.decode()
    eligible = html.split('data-testid="eligible"', 1)[1].split("</ul>", 1)[0]
    assert "关于支持小微企业融资的若干措施" in eligible
    assert reverse("policy-detail", args=[fits.pk]) in eligible
    assert "小型" in eligible  # the condition it matched, in words
    assert "上市" not in eligible
    assert "关于支持中小企业发展的措施" not in eligible
    own = _get(client, city.ent_user, city.company).content.decode()
    own = own.split('data-testid="eligible"', 1)[1].split("</ul>", 1)[0]
    assert "关于支持小微企业融资的若干措施" in own
