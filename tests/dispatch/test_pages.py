"""The triage screen's suggestions: offices only, one click dispatches, links duplicates."""

import pytest
from django.urls import reverse

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal
from qitong.dispatch import suggest
from qitong.dispatch.models import DuplicateLink, KeywordRule, Suggestion
from tests.dispatch.conftest import WHEN

TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，希望尽快解决。"


@pytest.fixture
def accepted(city):
    appeal = city.file(title="用电增容未批", content=TEXT)
    return appeal_actions.accept(appeal, acting_user=city.office_user, at=WHEN)


def test_the_triage_screen_loads_the_suggestions(client, city, accepted):
    client.force_login(city.office_user)
    page = client.get(reverse("office-triage", args=[accepted.pk])).content.decode()
    assert reverse("dispatch-suggestions", args=[accepted.pk]) in page


def test_the_office_sees_suggestions_with_confidence_and_accepts_with_one_click(
    client, city, accepted
):
    KeywordRule.objects.create(keywords="用电 变压器", lead_unit=city.fgw)
    client.force_login(city.office_user)
    fragment = client.get(reverse("dispatch-suggestions", args=[accepted.pk]))
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "市发展和改革委员会" in html and "100%" in html
    assert reverse("dispatch-accept", args=[accepted.pk]) in html
    suggestion = Suggestion.objects.get(appeal=accepted)
    assert suggestion.lead_unit == city.fgw and suggestion.source == "rules"

    answer = client.post(reverse("dispatch-accept", args=[accepted.pk]), {"lead_unit": "fgw"})
    assert answer.status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == Appeal.Status.DISPATCHED
    assert accepted.lead_unit == city.fgw and accepted.handling_mode == "transfer"
    assert accepted.events.filter(action="dispatch").count() == 1
    suggestion.refresh_from_db()
    assert suggestion.outcome == Suggestion.Outcome.ACCEPTED
    assert suggestion.chosen_unit == city.fgw

    # A second click finds the case dispatched: refused, nothing written.
    again = client.post(reverse("dispatch-accept", args=[accepted.pk]), {"lead_unit": "gxj"})
    assert again.status_code == 302
    accepted.refresh_from_db()
    assert accepted.lead_unit == city.fgw
    assert accepted.events.filter(action="dispatch").count() == 1


def test_accepting_another_unit_is_a_correction(client, city, accepted):
    KeywordRule.objects.create(keywords="用电 变压器", lead_unit=city.fgw)
    client.force_login(city.office_user)
    client.get(reverse("dispatch-suggestions", args=[accepted.pk]))
    client.post(reverse("dispatch-accept", args=[accepted.pk]), {"lead_unit": "gxj"})
    suggestion = Suggestion.objects.get(appeal=accepted)
    assert suggestion.outcome == Suggestion.Outcome.CORRECTED
    assert suggestion.chosen_unit == city.gxj
    assert suggest.training_examples("unit")[2] == [suggest.CORRECTION_WEIGHT]


def test_a_unit_out_of_reach_is_refused_with_the_field_named(client, city, accepted):
    client.force_login(city.office_user)
    answer = client.post(
        reverse("dispatch-accept", args=[accepted.pk]), {"lead_unit": "vice-mayor"}, follow=True
    )
    assert "牵头单位" in answer.content.decode()
    accepted.refresh_from_db()
    assert accepted.status == Appeal.Status.ACCEPTED


@pytest.mark.parametrize("who", ["fgw_user", "ent_user", "leader_user"])
def test_only_offices_see_or_accept_suggestions(client, city, accepted, who):
    client.force_login(getattr(city, who))
    assert client.get(reverse("dispatch-suggestions", args=[accepted.pk])).status_code == 403
    post = client.post(reverse("dispatch-accept", args=[accepted.pk]), {"lead_unit": "fgw"})
    assert post.status_code == 403
    link = client.post(reverse("dispatch-link", args=[accepted.pk]), {"primary": accepted.pk})
    assert link.status_code == 403
    hot = client.get(reverse("dispatch-hot-topics"))
    assert hot.status_code == (200 if who == "leader_user" else 403)  # the cockpit's part
    accepted.refresh_from_db()
    assert accepted.status == Appeal.Status.ACCEPTED


def test_a_district_office_gets_404_for_a_city_case(client, city, accepted):
    client.force_login(city.district_user)
    assert client.get(reverse("dispatch-suggestions", args=[accepted.pk])).status_code == 404
    post = client.post(reverse("dispatch-accept", args=[accepted.pk]), {"lead_unit": "fgw"})
    assert post.status_code == 404


def test_similar_appeals_are_shown_and_linked(client, city, accepted):
    earlier = city.file(title="用电增容未批", content=TEXT.replace("希望尽快解决", "请尽快解决"))
    other = city.file(
        city.other_company, title="用电增容未批", content=TEXT.replace("我公司", "我单位")
    )
    unrelated = city.file(title="招聘补贴", content="申请稳岗补贴与招聘补贴的材料清单是什么？")
    client.force_login(city.office_user)
    html = client.get(reverse("dispatch-suggestions", args=[accepted.pk])).content.decode()
    assert earlier.number in html and other.number in html
    assert unrelated.number not in html
    assert "疑似重复" in html and "同一企业" in html

    answer = client.post(reverse("dispatch-link", args=[accepted.pk]), {"primary": earlier.pk})
    assert answer.status_code == 302
    link = DuplicateLink.objects.get(appeal=accepted)
    assert link.primary == earlier and link.linked_by == city.office_user
    assert 0.7 <= link.score < 1
    html = client.get(reverse("dispatch-suggestions", args=[accepted.pk])).content.decode()
    assert "重复诉求" in html and earlier.number in html


def test_linking_a_case_to_itself_is_refused(client, city, accepted):
    client.force_login(city.office_user)
    client.post(reverse("dispatch-link", args=[accepted.pk]), {"primary": accepted.pk})
    assert not DuplicateLink.objects.exists()


def test_the_cockpit_loads_the_weeks_hot_topics(client, city):
    from tests.dispatch.test_duplicates import TEXT, companies

    for firm in companies(city, 3):
        city.file(firm, content=TEXT)
    client.force_login(city.leader_user)
    cockpit = client.get(reverse("cockpit")).content.decode()
    assert reverse("dispatch-hot-topics") in cockpit
    part = client.get(reverse("dispatch-hot-topics"), {"fragment": "1"}).content.decode()
    assert "3 家企业" in part and "3 件" in part
    assert "<html" not in part
