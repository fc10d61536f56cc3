"""One click on a suggested category: the case's category through ``appeals.actions.recategorize``,
and a click that changes it is a correction the next category model weighs."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal, Category
from qitong.core.models import ApiToken
from qitong.dispatch import actions, suggest
from qitong.dispatch.models import KeywordRule, Suggestion
from tests.dispatch.conftest import WHEN

TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，希望尽快解决。"


@pytest.fixture
def power(db):
    return Category.objects.get(code="factors-power")


@pytest.fixture
def loan(db):
    return Category.objects.get(code="financing-loan")


@pytest.fixture
def filed(city, loan):
    """Filed by the enterprise under the wrong category (贷款), accepted by the office."""
    appeal = city.file(title="用电增容未批", content=TEXT, category=loan)
    return appeal_actions.accept(appeal, acting_user=city.office_user, at=WHEN)


def api(user):
    _token, key = ApiToken.issue(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_one_click_sets_the_suggested_category_and_records_the_correction(
    client, city, filed, power, loan
):
    KeywordRule.objects.create(keywords="用电 变压器", category=power, lead_unit=city.fgw)
    client.force_login(city.office_user)
    html = client.get(reverse("dispatch-suggestions", args=[filed.pk])).content.decode()
    assert reverse("dispatch-accept-category", args=[filed.pk]) in html
    assert 'value="factors-power"' in html and "用电" in html

    answer = client.post(
        reverse("dispatch-accept-category", args=[filed.pk]), {"category": "factors-power"}
    )
    assert answer.status_code == 302
    filed.refresh_from_db()
    assert filed.category == power
    event = filed.events.get(action="recategorize")
    assert event.actor == city.office_user
    assert event.data == {"category": "factors-power", "previous": "financing-loan"}
    suggestion = Suggestion.objects.get(appeal=filed)
    assert suggestion.category == power  # what was suggested
    assert suggestion.chosen_category == power
    assert suggestion.category_outcome == Suggestion.Outcome.CORRECTED  # the case's value changed
    assert suggestion.outcome == Suggestion.Outcome.PENDING  # the unit is still to be chosen
    # The next category model learns the office's category, weighed as a correction.
    texts, labels, weights = suggest.training_examples("category")
    assert labels == ["factors-power"] and weights == [suggest.CORRECTION_WEIGHT]

    # The same click again changes and records nothing; now the current category.
    client.post(reverse("dispatch-accept-category", args=[filed.pk]), {"category": "factors-power"})
    assert filed.events.filter(action="recategorize").count() == 1
    html = client.get(reverse("dispatch-suggestions", args=[filed.pk])).content.decode()
    assert "当前分类" in html


def test_a_click_that_confirms_the_category_is_accepted(city, power):
    appeal = city.file(title="用电增容未批", content=TEXT, category=power)
    KeywordRule.objects.create(keywords="用电", category=power)
    source, units, categories = suggest.suggest(appeal)
    actions.remember(appeal, source, units, categories, at=WHEN)
    actions.accept_category(appeal, acting_user=city.office_user, category="factors-power")
    suggestion = Suggestion.objects.get(appeal=appeal)
    assert suggestion.category_outcome == Suggestion.Outcome.ACCEPTED
    assert not appeal.events.filter(action="recategorize").exists()
    assert suggest.training_examples("category")[2] == [1]


def test_only_the_office_in_charge_recategorizes_an_open_case(client, city, filed):
    for user in (city.fgw_user, city.ent_user, city.leader_user):
        client.force_login(user)
        answer = client.post(
            reverse("dispatch-accept-category", args=[filed.pk]), {"category": "factors-power"}
        )
        assert answer.status_code == 403
    client.force_login(city.district_user)
    answer = client.post(
        reverse("dispatch-accept-category", args=[filed.pk]), {"category": "factors-power"}
    )
    assert answer.status_code == 404
    filed.refresh_from_db()
    assert filed.category.code == "financing-loan"


def test_the_api_recategorizes_with_the_field_named_on_bad_input(city, filed):
    office = api(city.office_user)
    url = f"/api/v1/appeals/{filed.pk}/recategorize"
    for body in ({}, {"category": "no-such"}, {"category": 7}):
        answer = office.post(url, body, format="json")
        assert answer.status_code == 400
        assert "category" in answer.json()["fields"], answer.json()
    answer = office.post(url, {"category": "talent"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["category"] == "talent"
    # A unit that may not see the case: 404; an enterprise may not take the action: 403.
    assert api(city.fgw_user).post(url, {"category": "safety"}, format="json").status_code == 404
    assert api(city.ent_user).post(url, {"category": "safety"}, format="json").status_code == 403
    # A closed case keeps its category: 409 with its status.
    closed = city.file(title="用电增容未批", content=TEXT)
    appeal_actions.reject(closed, acting_user=city.office_user, at=WHEN, reason="不属于涉企事项")
    answer = office.post(
        f"/api/v1/appeals/{closed.pk}/recategorize", {"category": "safety"}, format="json"
    )
    assert answer.status_code == 409
    closed.refresh_from_db()
    assert closed.category is None and closed.status == Appeal.Status.REJECTED
