"""The filing form's similar cases: an enterprise sees its own only, an office its scope."""

import pytest
from django.urls import reverse

from qitong.appeals.models import Appeal
from tests.appeals.conftest import at

TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，影响投产，希望尽快解决。"
REWORDED = "新厂房用电增容申请一直未批复，变压器容量不够，影响投产，请尽快解决！"
MONDAY = at("2026-11-02 10:00")


@pytest.fixture
def cases(city):
    return {
        "mine": city.file(title="用电增容未批", content=REWORDED, when=MONDAY),
        "theirs": city.file(city.key_company, title="用电增容未批", content=REWORDED, when=MONDAY),
        "other_subject": city.file(title="招聘补贴", content="稳岗补贴与招聘补贴何时发放？"),
    }


def ask(client, **data):
    return client.post(reverse("dispatch-intake-similar"), data)


def test_the_portal_form_asks_for_similar_cases(client, city):
    client.force_login(city.ent_user)
    page = client.get(reverse("portal-file")).content.decode()
    assert reverse("dispatch-intake-similar") in page
    assert 'hx-include="#id_title, #id_content"' in page


def test_an_enterprise_sees_its_own_similar_cases_only(client, city, cases):
    client.force_login(city.ent_user)
    answer = ask(client, title="用电增容未批", content=TEXT)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert cases["mine"].number in html and "疑似重复" in html
    assert cases["theirs"].number not in html  # another enterprise's, as alike: never shown
    assert "济南重工集团有限公司" not in html
    assert cases["other_subject"].number not in html

    client.force_login(city.key_user)
    html = ask(client, title="用电增容未批", content=TEXT).content.decode()
    assert cases["theirs"].number in html and cases["mine"].number not in html


def test_an_office_sees_every_enterprises_similar_cases_in_its_scope(client, city, cases):
    client.force_login(city.office_user)
    html = ask(client, title="用电增容未批", content=TEXT).content.decode()
    assert cases["mine"].number in html and cases["theirs"].number in html
    assert "济南重工集团有限公司" in html  # staff see whose
    client.force_login(city.district_user)  # the city office's cases are not in its scope
    html = ask(client, title="用电增容未批", content=TEXT).content.decode()
    assert cases["mine"].number not in html and cases["theirs"].number not in html


def test_empty_text_lists_nothing_and_other_roles_are_refused(client, city, cases):
    client.force_login(city.ent_user)
    html = ask(client, title=" ", content="").content.decode()
    assert "QT-" not in html and "没有相似" not in html
    for who in (city.fgw_user, city.leader_user):
        client.force_login(who)
        assert ask(client, title="用电增容未批", content=TEXT).status_code == 403
    client.force_login(city.ent_user)
    assert client.get(reverse("dispatch-intake-similar")).status_code == 405
    assert Appeal.objects.count() == 3  # nothing written
