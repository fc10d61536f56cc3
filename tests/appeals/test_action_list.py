"""Every declared action has all its parts: a rule, a route, a label, a body and a form."""

import pytest
from django.urls import NoReverseMatch, reverse

from qitong.appeals import actions
from qitong.appeals.models import Appeal, Event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", list(actions.ACTIONS))
def test_each_action_has_a_rule_a_route_a_label_a_body_and_a_form(name):
    action = actions.ACTIONS[name]
    assert action.name == name
    assert callable(action.function) and callable(action.rule.who)
    assert action.rule.states and set(action.rule.states) <= set(Appeal.Status.values)
    assert str(action.label).strip()
    try:
        reverse(action.route_name, args=[1])
    except NoReverseMatch:  # pragma: no cover - the assertion says which
        pytest.fail(f"{name} has no API route {action.route_name}")
    # The page form's inputs are exactly the fields the API body parses.
    assert [field.name for field in action.form] == list(action.body().fields)
    assert action.screen in ("case", "triage")
    if action.screen == "case":
        if action.route:
            return  # a file upload: its own route, and the case page's upload form
        reverse("appeal-act", args=[1, name])


def test_each_action_that_changes_a_case_writes_an_event_kind_of_its_own_name():
    kinds = set(Event.Kind.values)
    missing = {name for name in actions.ACTIONS if name not in kinds}
    # Deciding a request is recorded under the decision's own name; urging by hand is "urge".
    assert missing == set()


def test_the_bulk_toolbar_offers_the_declared_bulk_actions_and_fills_their_text_field():
    assert [action.name for action in actions.BULK] == ["accept", "approve", "supervise", "urge"]
    assert {action.name: action.text_field for action in actions.BULK} == {
        "accept": None,
        "approve": None,
        "supervise": "reason",
        "urge": "note",
    }


def test_the_api_routes_every_routed_action_and_nothing_else():
    assert "attach" not in actions.ROUTED
    assert set(actions.ROUTED) | {"attach"} == set(actions.ACTIONS)
